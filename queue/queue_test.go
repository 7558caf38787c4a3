package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

var ctx = context.Background()

func TestEnqueueIsIdempotent(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	task := queue.NewTask{ID: "task-fixed", Name: "a.jpg", Payload: []byte(`{"x":1}`), Blob: []byte("bytes")}
	id, created, err := q.Enqueue(ctx, task)
	if err != nil || !created || id != "task-fixed" {
		t.Fatalf("first enqueue: id=%q created=%v err=%v", id, created, err)
	}
	// The same command again, as go-redis sends it when a reply was lost.
	_, created, err = q.Enqueue(ctx, task)
	if err != nil || created {
		t.Fatalf("second enqueue: created=%v err=%v, want a no-op", created, err)
	}
	if n := rdb.LLen(ctx, "t:pending").Val(); n != 1 {
		t.Fatalf("t:pending has %d ids, want 1", n)
	}
	if got := rdb.HGet(ctx, "task:task-fixed", "status").Val(); got != "pending" {
		t.Fatalf("status %q", got)
	}
	if got := rdb.Get(ctx, "t:blob:task-fixed").Val(); got != "bytes" {
		t.Fatalf("blob %q", got)
	}
}

func TestFIFOAndPriorities(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	low := enqueueN(t, q, 3, queue.Low)
	normal := enqueueN(t, q, 3, queue.Normal)
	high := enqueueN(t, q, 3, queue.High)
	want := slices.Concat(high, normal, low)
	var got []string
	for range want {
		got = append(got, claimOne(t, q, "w").ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("claim order\n got %v\nwant %v", got, want)
	}
	if more, _ := q.Claim(ctx, "w", 5); len(more) != 0 {
		t.Fatalf("claimed %d from an empty queue", len(more))
	}
}

func TestClaimBatchRespectsCount(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	enqueueN(t, q, 10, queue.Normal)
	got, err := q.Claim(ctx, "w", 4)
	if err != nil || len(got) != 4 {
		t.Fatalf("claim 4: got %d, err %v", len(got), err)
	}
	if n := rdb.HLen(ctx, "t:processing").Val(); n != 4 {
		t.Fatalf("processing %d, want 4", n)
	}
	if n := rdb.ZCard(ctx, "t:leases").Val(); n != 4 {
		t.Fatalf("leases %d, want 4", n)
	}
	for _, c := range got {
		if c.Attempt != 1 || c.MaxAttempts != 3 {
			t.Fatalf("attempt %d/%d", c.Attempt, c.MaxAttempts)
		}
	}
}

// 1,000 tasks, 8 concurrent workers, no crash: 1,000 distinct completions, none twice.
func TestExactlyOnceWithoutCrashes(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	const n, workers = 1000, 8
	enqueueN(t, q, n, queue.Normal)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for {
				got, err := q.Claim(ctx, name, 1+w%3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				outs := make([]queue.Outcome, len(got))
				for i, c := range got {
					outs[i] = queue.Outcome{Worker: name, Task: c, Result: []byte("ok")}
				}
				for _, err := range q.Finish(ctx, outs) {
					if err != nil {
						t.Error(err)
					}
				}
				mu.Lock()
				for _, c := range got {
					seen[c.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct tasks completed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s completed %d times", id, c)
		}
	}
	s, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Totals.Completed != n || s.Processing != 0 || s.PendingTotal() != 0 {
		t.Fatalf("stats after: %+v", s)
	}
	if k := rdb.ZCard(ctx, "t:leases").Val(); k != 0 {
		t.Fatalf("%d leases left", k)
	}
}

func TestLeaseExpiryRecoversTask(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Lease: 300 * time.Millisecond})
	ids := enqueueN(t, q, 1, queue.Normal)
	dead := claimOne(t, q, "dead")
	// The "dead" worker never heartbeats. Before the lease lapses nothing moves.
	if m, err := q.Maintain(ctx); err != nil || m.Recovered != 0 {
		t.Fatalf("early maintain: %+v %v", m, err)
	}
	time.Sleep(400 * time.Millisecond)
	m, err := q.Maintain(ctx)
	if err != nil || m.Recovered != 1 {
		t.Fatalf("maintain: %+v %v", m, err)
	}
	if rdb.HLen(ctx, "t:processing").Val() != 0 {
		t.Fatal("task still in processing")
	}
	again := claimOne(t, q, "alive")
	if again.ID != ids[0] || again.Attempt != 2 {
		t.Fatalf("reclaimed %s attempt %d", again.ID, again.Attempt)
	}
	// The dead worker wakes up and tries to acknowledge over the new owner: refused.
	if err := q.Complete(ctx, "dead", dead, nil, time.Millisecond); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("stale ack: %v, want ErrLeaseLost", err)
	}
	if err := q.Complete(ctx, "alive", again, nil, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rec := eventsOfKind(t, q, queue.EventRecovered)
	if len(rec) != 1 || rec[0].Prev != "dead" {
		t.Fatalf("recovered events %+v", rec)
	}
	cl := eventsOfKind(t, q, queue.EventClaimed)
	if last := cl[len(cl)-1]; last.Worker != "alive" || last.Prev != "dead" {
		t.Fatalf("claim after recovery should name both workers: %+v", last)
	}
}

func TestHeartbeatKeepsLongTaskWithItsWorker(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Lease: 300 * time.Millisecond})
	w := register(t, q, "slow")
	enqueueN(t, q, 1, queue.Normal)
	c := claimOne(t, q, "slow")
	// Run "longer than the lease" (4 leases), heartbeating every 100ms, with
	// housekeeping running as other workers would.
	for range 12 {
		time.Sleep(100 * time.Millisecond)
		if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, []string{c.ID}); err != nil {
			t.Fatal(err)
		}
		if m, err := q.Maintain(ctx); err != nil || m.Recovered != 0 {
			t.Fatalf("maintain stole the task: %+v %v", m, err)
		}
		if got, _ := q.Claim(ctx, "thief", 1); len(got) != 0 {
			t.Fatal("a second worker got the task of a live worker")
		}
	}
	if err := q.Complete(ctx, "slow", c, nil, 1200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// A claim with no imgq lease is a worker imgq cannot see (the course's worker
// did RPOP + HSET processing, then crashed). Housekeeping leaves it alone, since
// that worker may be alive; after StuckAfter it is reported stuck, and
// RequeueStuck does the course's fix (HDEL processing, RPUSH pending).
func TestForeignClaimIsStuckThenRequeued(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Lease: 100 * time.Millisecond, StuckAfter: 300 * time.Millisecond})
	ids := enqueueN(t, q, 1, queue.Normal)
	rdb.RPop(ctx, "t:pending")
	rdb.HSet(ctx, "t:processing", ids[0], "ghost")
	rdb.HSet(ctx, "task:"+ids[0], "status", "processing", "worker_id", "ghost", "started_at", fmt.Sprint(float64(time.Now().UnixMicro())/1e6))
	time.Sleep(150 * time.Millisecond)
	if m, err := q.Maintain(ctx); err != nil || m.Recovered != 0 || m.Stuck != 0 {
		t.Fatalf("maintain touched a foreign claim: %+v %v", m, err)
	}
	st, err := q.Stats(ctx)
	if err != nil || len(st.Foreign) != 1 || st.Foreign[0].Worker != "ghost" || len(st.Stuck(300*time.Millisecond)) != 0 {
		t.Fatalf("stats: %+v %v", st.Foreign, err)
	}
	if n, err := q.RequeueStuck(ctx, 0); err != nil || n != 0 {
		t.Fatalf("requeued %d before it was stuck (%v)", n, err)
	}
	time.Sleep(300 * time.Millisecond)
	st, _ = q.Stats(ctx)
	if len(st.Stuck(300*time.Millisecond)) != 1 {
		t.Fatalf("not stuck: %+v at %v", st.Foreign, st.At)
	}
	if n, err := q.RequeueStuck(ctx, 0); err != nil || n != 1 {
		t.Fatalf("requeue stuck: %d %v", n, err)
	}
	if rdb.HLen(ctx, "t:processing").Val() != 0 || rdb.LIndex(ctx, "t:pending", -1).Val() != ids[0] {
		t.Fatal("not moved back the course's way")
	}
	if got := claimOne(t, q, "w"); got.ID != ids[0] {
		t.Fatalf("got %s", got.ID)
	}
	if r := eventsOfKind(t, q, "recovered"); len(r) != 1 || r[0].Prev != "ghost" {
		t.Fatalf("recovered events %+v", r)
	}
}

// With RecoverStuck, housekeeping does the same by itself.
func TestRecoverStuckInHousekeeping(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{StuckAfter: 200 * time.Millisecond, RecoverStuck: true})
	ids := enqueueN(t, q, 1, queue.Normal)
	rdb.RPop(ctx, "t:pending")
	rdb.HSet(ctx, "t:processing", ids[0], "ghost") // no started_at: timed from first sight
	if m, err := q.Maintain(ctx); err != nil || m.Stuck != 0 {
		t.Fatalf("first pass: %+v %v", m, err)
	}
	time.Sleep(250 * time.Millisecond)
	if m, err := q.Maintain(ctx); err != nil || m.Stuck != 1 {
		t.Fatalf("second pass: %+v %v", m, err)
	}
	if rdb.LLen(ctx, "t:pending").Val() != 1 {
		t.Fatal("not back in pending")
	}
}

// An id whose record is missing or is not a hash is dead-lettered with the
// reason, never dropped without a trace, and the claim of the rest goes on.
func TestPendingIDWithoutRecordIsDeadLettered(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	rdb.RPush(ctx, "t:pending", "task-ghost", "task-list")
	rdb.RPush(ctx, "task:task-list", "not", "a", "hash")
	ids := enqueueN(t, q, 1, queue.Normal)
	got, err := q.Claim(ctx, "w", 3)
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Fatalf("claim: %v %v", got, err)
	}
	if n := rdb.HLen(ctx, "t:processing").Val(); n != 1 {
		t.Fatalf("processing %d, want only the real task", n)
	}
	if f := rdb.LRange(ctx, "t:failed", 0, -1).Val(); !slices.Equal(f, []string{"task-list", "task-ghost"}) {
		t.Fatalf("failed %v", f)
	}
	if e := rdb.HGet(ctx, "task:task-ghost", "error").Val(); e != "task record task:task-ghost is missing" {
		t.Fatalf("ghost error %q", e)
	}
	if ty := rdb.Type(ctx, "task:task-list").Val(); ty != "list" {
		t.Fatalf("the foreign key was changed to a %s", ty)
	}
	evs := eventsOfKind(t, q, "failed")
	if len(evs) != 2 || evs[1].Task != "task-list" || evs[1].Error != "task record task:task-list is a list, not a hash" {
		t.Fatalf("failed events %+v", evs)
	}
}

func TestRetryBackoffThenDeadLetter(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{BackoffBase: 50 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	ids := enqueueN(t, q, 1, queue.Normal)
	boom := errors.New("temporary glitch")
	for attempt := 1; attempt <= 3; attempt++ {
		var c queue.Claimed
		eventually(t, 2*time.Second, "the retry to come due", func() bool {
			if _, err := q.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ := q.Claim(ctx, "w", 1)
			if len(got) == 1 {
				c = got[0]
				return true
			}
			return false
		})
		if c.ID != ids[0] || c.Attempt != attempt {
			t.Fatalf("attempt %d: claimed %s attempt %d", attempt, c.ID, c.Attempt)
		}
		if err := q.Fail(ctx, "w", c, boom, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if attempt < 3 {
			if st := rdb.HGet(ctx, "task:"+c.ID, "status").Val(); st != "retry" {
				t.Fatalf("after attempt %d status %q", attempt, st)
			}
		}
	}
	info, err := q.Task(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != queue.StatusFailed || info.Error != boom.Error() || info.Attempts != 3 {
		t.Fatalf("dead letter: %+v", info)
	}
	if rdb.LIndex(ctx, "t:failed", 0).Val() != ids[0] {
		t.Fatal("not in t:failed")
	}
	if n := len(eventsOfKind(t, q, queue.EventRetried)); n != 2 {
		t.Fatalf("%d retried events, want 2", n)
	}
	// requeue brings it back with fresh attempts.
	if n, err := q.Requeue(ctx, ids[0], "task-unknown"); err != nil || n != 1 {
		t.Fatalf("requeue: %d %v", n, err)
	}
	if c := claimOne(t, q, "w"); c.Attempt != 1 {
		t.Fatalf("after requeue attempt %d", c.Attempt)
	}
}

func TestPermanentErrorDeadLettersAtOnce(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	enqueueN(t, q, 1, queue.Normal)
	c := claimOne(t, q, "w")
	if err := q.Fail(ctx, "w", c, queue.Permanent(errors.New("corrupt JPEG")), 0); err != nil {
		t.Fatal(err)
	}
	if st := rdb.HGet(ctx, "task:"+c.ID, "status").Val(); st != "failed" {
		t.Fatalf("status %q", st)
	}
	if rdb.ZCard(ctx, "t:retry").Val() != 0 {
		t.Fatal("a permanent error was scheduled for retry")
	}
	n, err := q.RequeueAll(ctx)
	if err != nil || n != 1 {
		t.Fatalf("requeue all: %d %v", n, err)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{BackoffBase: time.Second, BackoffMax: 8 * time.Second})
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		got := q.Backoff(attempt)
		if got < want*9/10 || got > want*11/10 {
			t.Errorf("Backoff(%d) = %s, want %s ±10%%", attempt, got, want)
		}
	}
}

func TestCompletedIsBoundedAndOldTasksDeleted(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{CompletedKeep: 5})
	ids := enqueueN(t, q, 12, queue.Normal)
	for range ids {
		c := claimOne(t, q, "w")
		if err := q.Complete(ctx, "w", c, []byte("{}"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.LLen(ctx, "t:completed").Val(); n != 5 {
		t.Fatalf("completed keeps %d, want 5", n)
	}
	for i, id := range ids {
		exists := rdb.Exists(ctx, "task:"+id).Val() == 1
		if want := i >= 7; exists != want {
			t.Fatalf("task %d (%s) hash exists=%v, want %v", i, id, exists, want)
		}
	}
	for i, id := range ids {
		// The course's result record goes with its task; the index forgets it.
		if exists, want := rdb.Exists(ctx, "result:"+id).Val() == 1, i >= 7; exists != want {
			t.Fatalf("result %d exists=%v, want %v", i, exists, want)
		}
		if in, want := rdb.SIsMember(ctx, "t:tasks", id).Val(), i >= 7; in != want {
			t.Fatalf("index holds %d: %v, want %v", i, in, want)
		}
	}
}

func TestWorkerGoneRecoversItsTasksAtOnce(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Lease: time.Hour, WorkerTimeout: 300 * time.Millisecond})
	w := register(t, q, "laptop")
	enqueueN(t, q, 2, queue.Normal)
	got, err := q.Claim(ctx, "laptop", 2)
	if err != nil || len(got) != 2 {
		t.Fatal(got, err)
	}
	if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, []string{got[0].ID, got[1].ID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // the laptop sleeps: no heartbeat
	m, err := q.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Gone, []string{"laptop"}) || m.Recovered != 2 {
		t.Fatalf("maintain: %+v (want laptop gone and 2 recovered despite the 1h lease)", m)
	}
	s, _ := q.Stats(ctx)
	if len(s.Workers) != 1 || s.Workers[0].State != queue.WorkerGone {
		t.Fatalf("workers %+v", s.Workers)
	}
	// The laptop wakes: its heartbeat says it was gone; it registers again.
	if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, nil); !errors.Is(err, queue.ErrWorkerGone) {
		t.Fatalf("heartbeat after gone: %v", err)
	}
	if err := q.Complete(ctx, "laptop", got[0], nil, 0); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("ack after gone: %v", err)
	}
	if g := eventsOfKind(t, q, queue.EventWorkerGone); len(g) != 1 || g[0].Worker != "laptop" {
		t.Fatalf("worker_gone events %+v", g)
	}
}

func TestRegisterRefusesALiveDuplicateID(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	register(t, q, "ana")
	other := queue.WorkerInfo{ID: "ana", Instance: "another-process", Host: "h2", PID: 2}
	if err := q.Register(ctx, other); !errors.Is(err, queue.ErrIDTaken) {
		t.Fatalf("duplicate register: %v", err)
	}
}

func TestReleaseHandsBackWithoutUsingAnAttempt(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ids := enqueueN(t, q, 2, queue.Normal)
	c := claimOne(t, q, "w")
	if err := q.Release(ctx, "w", c); err != nil {
		t.Fatal(err)
	}
	if first := rdb.LIndex(ctx, "t:pending", 0).Val(); first != ids[0] {
		t.Fatalf("released task should be first in line, got %s", first)
	}
	if again := claimOne(t, q, "w2"); again.ID != ids[0] || again.Attempt != 1 {
		t.Fatalf("reclaimed %s attempt %d", again.ID, again.Attempt)
	}
}

func TestFlushDeletesOnlyThisQueue(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	other, _ := queue.New(rdb, queue.Options{Name: "tt"})
	enqueueN(t, q, 700, queue.Normal) // more than one SCAN/UNLINK batch
	if _, _, err := other.Enqueue(ctx, queue.NewTask{Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, "unrelated", "keep me", 0)
	rdb.Set(ctx, "t", "a key named like the queue", 0)
	n, err := q.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Another queue's record that the course's layout puts beside ours.
	otherIDs, _ := rdb.LRange(ctx, "tt:pending", 0, -1).Result()
	// 700 task hashes + pending + signal + events + stats + index.
	if n != 705 {
		t.Fatalf("flush removed %d keys, want 705", n)
	}
	if rdb.Exists(ctx, "task:"+otherIDs[0]).Val() != 1 {
		t.Fatal("flush removed another queue's task record")
	}
	for _, k := range []string{"unrelated", "t", "tt:pending", "tt:stats"} {
		if rdb.Exists(ctx, k).Val() != 1 {
			t.Fatalf("flush removed %s", k)
		}
	}
	if f := eventsOfKind(t, q, queue.EventFlushed); len(f) != 1 || f[0].Count != 705 {
		t.Fatalf("flushed event %+v", f)
	}
}

func TestEveryTransitionIsAnEvent(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{MaxAttempts: 1})
	w := register(t, q, "w")
	enqueueN(t, q, 2, queue.Normal)
	a := claimOne(t, q, "w")
	_ = q.Complete(ctx, "w", a, nil, 5*time.Millisecond)
	b := claimOne(t, q, "w")
	_ = q.Fail(ctx, "w", b, errors.New("bad"), time.Millisecond)
	_, _ = q.RequeueAll(ctx)
	_ = q.Deregister(ctx, w)
	var kinds []string
	evs, _ := q.LastEvents(ctx, 100)
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"worker_up", "enqueued", "enqueued", "claimed", "completed", "claimed", "failed", "requeued", "worker_stopped"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events\n got %v\nwant %v", kinds, want)
	}
	if evs[4].Duration != 5*time.Millisecond || evs[4].Worker != "w" || evs[4].Task != a.ID {
		t.Fatalf("completed event %+v", evs[4])
	}
	if evs[6].Error != "bad" {
		t.Fatalf("failed event %+v", evs[6])
	}
}

func TestWaitForWorkWakesOnEnqueue(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	woke := make(chan time.Time, 1)
	go func() {
		ok, err := q.WaitForWork(ctx, 5*time.Second)
		if err != nil || !ok {
			t.Errorf("wait: %v %v", ok, err)
		}
		woke <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond) // let it block
	sent := time.Now()
	enqueueN(t, q, 1, queue.High)
	select {
	case at := <-woke:
		// Not a timing assertion on speed: only that it woke on the enqueue,
		// not on its 5s timeout.
		if at.Sub(sent) > 2*time.Second {
			t.Fatalf("woke after %s", at.Sub(sent))
		}
	case <-time.After(4 * time.Second):
		t.Fatal("an idle worker was not woken by an enqueue")
	}
}

func TestTaskLookupByPrefix(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	_, _, _ = q.Enqueue(ctx, queue.NewTask{ID: "task-abc123", Payload: []byte("{}")})
	_, _, _ = q.Enqueue(ctx, queue.NewTask{ID: "task-abd456", Payload: []byte("{}")})
	if info, err := q.Task(ctx, "task-abc"); err != nil || info.ID != "task-abc123" {
		t.Fatalf("prefix lookup: %+v %v", info, err)
	}
	if _, err := q.Task(ctx, "task-ab"); !errors.Is(err, queue.ErrAmbiguous) {
		t.Fatalf("ambiguous: %v", err)
	}
	if _, err := q.Task(ctx, "task-zz"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"image_processing", "{img}", "a-b.c"} {
		if err := queue.ValidateName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "has space", "a:b", "x*", "ctl\x1b[2J", "tab\t", "ñ"} {
		if err := queue.ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBlobLimit(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{MaxBlobBytes: 10})
	_, _, err := q.Enqueue(ctx, queue.NewTask{Blob: make([]byte, 11)})
	if !errors.Is(err, queue.ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
}

func TestHousekeepElectsOneProcessPerPeriod(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	_, ran, err := q.Housekeep(ctx, 300*time.Millisecond)
	if err != nil || !ran {
		t.Fatalf("first housekeeper: ran=%v err=%v", ran, err)
	}
	if _, ran, _ := q.Housekeep(ctx, 300*time.Millisecond); ran {
		t.Fatal("a second process ran housekeeping in the same period")
	}
	time.Sleep(400 * time.Millisecond)
	if _, ran, _ := q.Housekeep(ctx, 300*time.Millisecond); !ran {
		t.Fatal("housekeeping did not run once the period was over")
	}
}

// A server that lost its script cache (restart, SCRIPT FLUSH) answers NOSCRIPT
// to pipelined EVALSHAs: every pipelined path reloads and carries on.
func TestPipelinesSurviveAFlushedScriptCache(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{MaxAttempts: 1})
	flush := func() {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	ids := enqueueN(t, q, 3, queue.Normal) // EnqueueBatch
	got, err := q.Claim(ctx, "w", 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %v %v", got, err)
	}
	flush()
	errs, more, err := q.FinishClaim(ctx, []queue.Outcome{
		{Worker: "w", Task: got[0]},
		{Worker: "w", Task: got[1], Err: errors.New("bad")},
	}, "w", 1)
	if err != nil || errs[0] != nil || errs[1] != nil || len(more) != 1 || more[0].ID != ids[2] {
		t.Fatalf("finish+claim after flush: errs %v, claimed %v, err %v", errs, more, err)
	}
	if n := rdb.HLen(ctx, "t:processing").Val(); n != 1 {
		t.Fatalf("processing %d, want only the one claim (no second claim on the resend)", n)
	}
	flush()
	if n, err := q.Requeue(ctx, got[1].ID); err != nil || n != 1 {
		t.Fatalf("requeue after flush: %d %v", n, err)
	}
}

// A worker that loses its tasks is charged with them in its own hash, as a
// failed attempt is: lost when the task goes back to pending, dead when that was
// the task's last attempt (the dashboard's columns and the metrics read them).
func TestRecoveryChargesTheWorkerThatLostTheTask(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Lease: 300 * time.Millisecond})
	register(t, q, "crashy")
	if _, err := q.EnqueueBatch(ctx, []queue.NewTask{
		{Name: "again", Payload: []byte(`{}`), MaxAttempts: 3},
		{Name: "last", Payload: []byte(`{}`), MaxAttempts: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Claim(ctx, "crashy", 2); err != nil || len(got) != 2 {
		t.Fatalf("claim: %d tasks, %v", len(got), err)
	}
	time.Sleep(400 * time.Millisecond) // the lease lapses: "crashy" never heartbeats
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range s.Workers {
		if w.ID == "crashy" {
			if w.Lost != 1 || w.Dead != 1 || w.Retried != 0 {
				t.Fatalf("crashy: lost %d dead %d retried %d, want 1 1 0", w.Lost, w.Dead, w.Retried)
			}
			return
		}
	}
	t.Fatalf("worker crashy not in stats: %+v", s.Workers)
}
