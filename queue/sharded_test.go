package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
)

// shardOf says which shard holds task id's record (-1: none).
func shardOf(t *testing.T, q *queue.Queue, rdb *redis.Client, id string) int {
	t.Helper()
	for i, s := range q.Shards() {
		if rdb.Exists(context.Background(), s.Keys().Task(id)).Val() == 1 {
			return i
		}
	}
	return -1
}

// Tasks spread over the shards, each with its record, its blob and its
// pending entry on one shard; a resent batch creates nothing; every shard's
// keys carry its own hash tag.
func TestShardedEnqueueSpreadsAndStaysIdempotent(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	ts := make([]queue.NewTask, 300)
	for i := range ts {
		ts[i] = queue.NewTask{ID: fmt.Sprintf("t%03d", i), Payload: []byte(`{}`), Blob: []byte{byte(i), 1, 2}}
	}
	res, err := q.EnqueueBatchResults(ctx, slices.Clone(ts))
	if err != nil {
		t.Fatal(err)
	}
	per := make([]int, 3)
	for _, r := range res {
		if !r.Created {
			t.Fatalf("%s not created", r.ID)
		}
		i := shardOf(t, q, rdb, r.ID)
		if i < 0 {
			t.Fatalf("%s has no record on any shard", r.ID)
		}
		sk := q.Shards()[i].Keys()
		if rdb.Exists(ctx, sk.Blob(r.ID)).Val() != 1 {
			t.Fatalf("%s's blob is not on its shard %d", r.ID, i)
		}
		if rdb.LPos(ctx, sk.Pending, r.ID, redis.LPosArgs{}).Err() != nil {
			t.Fatalf("%s is not pending on its shard %d", r.ID, i)
		}
		per[i]++
	}
	for i, n := range per {
		if n < 60 {
			t.Errorf("shard %d got %d of 300 tasks: %v", i, n, per)
		}
	}
	again, err := q.EnqueueBatchResults(ctx, slices.Clone(ts))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Created {
			t.Fatalf("resent %s was created again", r.ID)
		}
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 300 || st.Totals.Enqueued != 300 || len(st.Shards) != 3 {
		t.Fatalf("stats: pending %d enqueued %d shards %d", st.Pending, st.Totals.Enqueued, len(st.Shards))
	}
	for i, s := range st.Shards {
		if s.Pending != int64(per[i]) || s.Name != q.Shards()[i].Name() || s.Slot != queue.KeySlot(s.Name) {
			t.Errorf("shard %d stats %+v, want pending %d", i, s, per[i])
		}
	}
	b, err := q.Blob(ctx, "t007")
	if err != nil || !slices.Equal(b, []byte{7, 1, 2}) {
		t.Fatalf("blob of t007: %v %v", b, err)
	}
	// Every key of the sharded queue is under one of the shards' tags.
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if !strings.HasPrefix(k, "{img.") {
			t.Errorf("key %s outside the shards", k)
		}
	}
	t.Logf("300 tasks with their own ids over 3 shards: %v", per)

	// Tasks without ids go round-robin: exactly even.
	q2, rdb2, _ := newQueue(t, queue.Options{Name: "rr", Shards: 3})
	ids := enqueueN(t, q2, 30, queue.Normal)
	even := make([]int, 3)
	for _, id := range ids {
		even[shardOf(t, q2, rdb2, id)]++
	}
	if even[0] != 10 || even[1] != 10 || even[2] != 10 {
		t.Errorf("30 tasks without ids over 3 shards: %v, want 10 each", even)
	}
}

// A claim serves the best priority present on any shard, and successive
// claims start at successive shards, so none starves.
func TestShardedClaimKeepsPrioritiesAndRotates(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	// Normal work, all on one shard (one key), then high tasks elsewhere.
	for i := range 10 {
		if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: fmt.Sprintf("n%d", i), ShardKey: "a", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	home := shardOf(t, q, rdb, "n0")
	highs := 0
	for j := 0; highs < 3; j++ {
		id := fmt.Sprintf("h%d", j)
		if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: id, ShardKey: fmt.Sprint("k", j), Priority: queue.High, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if shardOf(t, q, rdb, id) != home {
			highs++
			continue
		}
		// Same shard as the normal tasks proves nothing across shards: claim it now.
		if c := claimOne(t, q, "w"); c.ID != id {
			t.Fatalf("claimed %s, want the high %s", c.ID, id)
		}
	}
	for range highs {
		if c := claimOne(t, q, "w"); c.Priority != queue.High {
			t.Fatalf("claimed %s (%s) while high tasks wait on another shard", c.ID, c.Priority)
		}
	}
	if c := claimOne(t, q, "w"); c.Priority != queue.Normal {
		t.Fatalf("then %s (%s), want normal", c.ID, c.Priority)
	}

	// Rotation: one task on each shard; three claims of one take one from each.
	q2, rdb2, _ := newQueue(t, queue.Options{Name: "rot", Shards: 3})
	ids := map[int]string{}
	for j := 0; len(ids) < 3; j++ {
		id := fmt.Sprintf("r%d", j)
		if _, _, err := q2.Enqueue(ctx, queue.NewTask{ID: id, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		s := shardOf(t, q2, rdb2, id)
		if _, dup := ids[s]; dup {
			continue
		}
		ids[s] = id
	}
	// Shards with two tasks must not be drained first: 3 claims, 3 shards.
	seen := map[int]bool{}
	for range 3 {
		c := claimOne(t, q2, "w")
		seen[shardOf(t, q2, rdb2, c.ID)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("three claims of one took from shards %v, want all three", seen)
	}
}

// Outcomes go back to the shard that claimed: completions, retries, dead
// letters, release; then requeue and a lapsed lease's recovery, per shard;
// stats see one queue and one worker.
func TestShardedLifecycle(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Name: "img", Shards: 3, Lease: 300 * time.Millisecond, MaxAttempts: 2, BackoffBase: time.Millisecond})
	ctx := context.Background()
	w := register(t, q, "w1")
	enqueueN(t, q, 30, queue.Normal)
	got, err := q.Claim(ctx, "w1", 30)
	if err != nil || len(got) != 30 {
		t.Fatalf("claim 30: %d %v", len(got), err)
	}
	if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, nil); err != nil {
		t.Fatal(err)
	}
	var outs []queue.Outcome
	for i, c := range got {
		o := queue.Outcome{Worker: "w1", Task: c, Result: []byte(`{}`), Elapsed: time.Millisecond}
		switch {
		case i < 20:
		case i < 25:
			o.Err = queue.Permanent(errors.New("corrupt image"))
		case i < 28:
			o.Err = errors.New("try again")
		default:
			if err := q.Release(ctx, "w1", c); err != nil {
				t.Fatalf("release %s: %v", c.ID, err)
			}
			continue
		}
		outs = append(outs, o)
	}
	for i, err := range q.Finish(ctx, outs) {
		if err != nil {
			t.Fatalf("finish %s: %v", outs[i].Task.ID, err)
		}
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals.Completed != 20 || st.Failed != 5 || st.Retry+st.Pending != 5 || st.Processing != 0 {
		t.Fatalf("after finish: completed %d failed %d retry %d pending %d processing %d",
			st.Totals.Completed, st.Failed, st.Retry, st.Pending, st.Processing)
	}
	if len(st.Workers) != 1 || st.Workers[0].Processed != 20 || st.Workers[0].ID != "w1" {
		t.Fatalf("workers: %+v", st.Workers)
	}
	dead, err := q.FailedTasks(ctx, 0, 10)
	if err != nil || len(dead) != 5 {
		t.Fatalf("failed tasks: %d %v", len(dead), err)
	}
	for _, d := range dead {
		if !strings.Contains(d.Error, "corrupt image") || !strings.HasPrefix(d.Keys.Prefix, "{img.") {
			t.Fatalf("dead letter %+v", d)
		}
	}
	n, err := q.Requeue(ctx, dead[0].ID, dead[1].ID)
	if err != nil || n != 2 {
		t.Fatalf("requeue two: %d %v", n, err)
	}
	if n, err = q.RequeueAll(ctx); err != nil || n != 3 {
		t.Fatalf("requeue all: %d %v", n, err)
	}
	// A claim that is never acknowledged lapses and comes back on its shard.
	eventually(t, 5*time.Second, "retries due", func() bool {
		_, _ = q.Maintain(ctx)
		st, _ := q.Stats(ctx)
		return st.Retry == 0 && st.PendingTotal() == 10
	})
	ghost, err := q.Claim(ctx, "ghost", 10)
	if err != nil || len(ghost) != 10 {
		t.Fatalf("ghost claim: %d %v", len(ghost), err)
	}
	eventually(t, 5*time.Second, "lapsed leases recovered", func() bool {
		_, _ = q.Maintain(ctx)
		st, _ := q.Stats(ctx)
		// Those on their last attempt are dead-lettered instead.
		return st.Processing == 0 && st.PendingTotal()+st.Failed == 10 && st.Totals.Recovered > 0
	})
	info, err := q.Task(ctx, ghost[0].ID[:12])
	if err != nil || info.Status == queue.StatusProcessing || info.Keys.Task(info.ID) == "task:"+info.ID {
		t.Fatalf("task by prefix: %+v %v", info, err)
	}
	removed, err := q.Flush(ctx)
	if err != nil || removed == 0 {
		t.Fatalf("flush: %d %v", removed, err)
	}
	st, _ = q.Stats(ctx)
	if st.PendingTotal() != 0 || st.Totals.Enqueued != 0 {
		t.Fatalf("after flush: %+v", st)
	}
}

// The merged event stream: paging through it with each page's last ID as the
// cursor sees every event once, across shards; a worker's arrival is told
// once, not once a shard.
func TestShardedEventsResumeWithoutLossOrRepeat(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	register(t, q, "w1")
	start, err := q.LastEventID(ctx)
	if err != nil || strings.Count(start, ",") != 2 {
		t.Fatalf("last event id %q: %v", start, err)
	}
	enqueueN(t, q, 40, queue.Normal)
	for range 4 {
		enqueueN(t, q, 5, queue.Low)
	}
	seen := map[string]int{}
	after := "0"
	ups := 0
	for page := 0; page < 100; page++ {
		evs, err := q.ReadEvents(ctx, after, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			switch e.Kind {
			case queue.EventEnqueued:
				seen[e.Task]++
			case queue.EventWorkerUp:
				ups++
			}
		}
		after = evs[len(evs)-1].ID
	}
	if len(seen) != 60 || ups != 1 {
		t.Fatalf("paged events: %d tasks enqueued, %d worker_up; want 60 and 1", len(seen), ups)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event of %s read %d times", id, n)
		}
	}
	// From the cursor taken before the enqueues, a blocking read returns what came after.
	evs, err := q.ReadEvents(ctx, start, 1000, time.Second)
	if err != nil || len(evs) == 0 || evs[0].Task == "" {
		t.Fatalf("read from %s: %d events, %v", start, len(evs), err)
	}
	last, err := q.LastEvents(ctx, 10)
	if err != nil || len(last) != 10 {
		t.Fatalf("last 10 events: %d %v", len(last), err)
	}
	// Resuming from the newest event's cursor finds nothing older again.
	evs, err = q.ReadEvents(ctx, last[len(last)-1].ID, 100, 0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("after the newest: %d events (%v)", len(evs), err)
	}
}

// A shard that cannot serve (here its pending list is of the wrong type, as a
// master that is down would fail its commands) stops only itself: the other
// shards' tasks are claimed, and the error is reported when nothing else is.
func TestShardedClaimSkipsABrokenShard(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	broken := q.Shards()[1].Keys()
	if err := rdb.Set(ctx, broken.Pending, "not a list", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var healthy []string
	for j := 0; len(healthy) < 4; j++ {
		id := fmt.Sprintf("t%d", j)
		_, _, err := q.Enqueue(ctx, queue.NewTask{ID: id, Payload: []byte(`{}`)})
		if err == nil {
			healthy = append(healthy, id)
		} else if !strings.Contains(err.Error(), "WRONGTYPE") && !strings.Contains(err.Error(), broken.Pending) {
			t.Fatalf("enqueue %s on the broken shard: %v", id, err)
		}
	}
	got, err := q.Claim(ctx, "w", 10)
	if err != nil || len(got) != 4 {
		t.Fatalf("claim with one shard broken: %d tasks, %v; want the 4 healthy ones", len(got), err)
	}
	_, err = q.Claim(ctx, "w", 10)
	if err == nil || !strings.Contains(err.Error(), q.Shards()[1].Name()) {
		t.Fatalf("claim with only the broken shard left: %v, want its error", err)
	}
}

// FinishClaim, a busy worker's ack-and-refill, acknowledges on the claiming
// shards and claims again from every shard, until the queue is drained.
func TestShardedFinishClaimDrains(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	register(t, q, "w")
	enqueueN(t, q, 100, queue.Normal)
	held, err := q.Claim(ctx, "w", 4)
	if err != nil || len(held) != 4 {
		t.Fatalf("claim: %d %v", len(held), err)
	}
	done := 0
	for len(held) > 0 {
		outs := make([]queue.Outcome, len(held))
		for i, c := range held {
			outs[i] = queue.Outcome{Worker: "w", Task: c, Result: []byte(`{}`)}
		}
		errs, next, err := q.FinishClaim(ctx, outs, "w", len(held))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range errs {
			if e != nil {
				t.Fatalf("ack %s: %v", outs[i].Task.ID, e)
			}
		}
		done += len(outs)
		held = next
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if done != 100 || st.Totals.Completed != 100 || st.PendingTotal() != 0 || st.Processing != 0 {
		t.Fatalf("acked %d; stats completed %d pending %d processing %d", done, st.Totals.Completed, st.PendingTotal(), st.Processing)
	}
	for _, s := range st.Shards {
		if s.Completed == 0 {
			t.Errorf("shard %s completed nothing", s.Name)
		}
	}
}

// The first sharded use records N; a process asking for another N (or for
// an unsharded queue) is refused; a malformed record is named, not trusted.
func TestShardCountIsRecordedAndAgreed(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: "img", Shards: 3})
	ctx := context.Background()
	if n, err := queue.ShardsOf(ctx, rdb, "img"); err != nil || n != 0 {
		t.Fatalf("before any use: %d %v", n, err)
	}
	if err := q.AgreeShards(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := queue.ShardsOf(ctx, rdb, "img"); err != nil || n != 3 {
		t.Fatalf("after: %d %v, want 3", n, err)
	}
	for _, other := range []int{0, 2, 4} {
		o, err := queue.New(rdb, queue.Options{Name: "img", Shards: other})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.AgreeShards(ctx); !errors.Is(err, queue.ErrShardsDiffer) {
			t.Errorf("%d shards on a 3-shard queue: %v", other, err)
		}
	}
	rdb.Set(ctx, "img:shards", "abc", 0)
	if _, err := queue.ShardsOf(ctx, rdb, "img"); err == nil || !strings.Contains(err.Error(), `"abc"`) {
		t.Errorf("malformed record: %v", err)
	}
}

// A task put back in pending on a shard other than shard 0 (a lapsed lease
// recovered, a release, a requeue) pushes a wake-up token where idle workers
// wait: shard 0's signal list.
func TestShardedPutBackWakesIdleWorkers(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: "img", Shards: 3, Lease: 200 * time.Millisecond, MaxAttempts: 5})
	ctx := context.Background()
	signal := q.Shards()[0].Keys().Signal
	var id string
	for j := 0; ; j++ {
		id = fmt.Sprint("t", j)
		if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: id, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if shardOf(t, q, rdb, id) > 0 {
			break
		}
	}
	tokens := func() int64 { return rdb.LLen(ctx, signal).Val() }
	drain := func() {
		rdb.Del(ctx, signal)
		held, err := q.Claim(ctx, "ghost", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range held {
			if c.ID != id {
				if err := q.Complete(ctx, "ghost", c, nil, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Recovery of a lapsed lease: ghost holds the task and never beats.
	drain()
	eventually(t, 5*time.Second, "the lapsed lease recovered", func() bool {
		m, err := q.Maintain(ctx)
		return err == nil && m.Recovered > 0
	})
	if tokens() == 0 {
		t.Fatal("recovery on another shard pushed no token to shard 0's signal")
	}
	// Release.
	rdb.Del(ctx, signal)
	c := claimOne(t, q, "w")
	if err := q.Release(ctx, "w", c); err != nil {
		t.Fatal(err)
	}
	if tokens() == 0 {
		t.Fatal("a release on another shard pushed no token")
	}
	// Requeue of a dead letter.
	c = claimOne(t, q, "w")
	if err := q.Fail(ctx, "w", c, queue.Permanent(errors.New("bad")), 0); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, signal)
	if n, err := q.Requeue(ctx, id); err != nil || n != 1 {
		t.Fatalf("requeue: %d %v", n, err)
	}
	if tokens() == 0 {
		t.Fatal("a requeue on another shard pushed no token")
	}
}
