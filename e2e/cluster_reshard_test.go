package e2e

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// Live resharding: `redis-cli --cluster reshard` moves a queue's slot to
// another master while workers run, one of them SIGKILLed mid-task and a
// producer enqueueing. Every task completes exactly once (a second attempt
// only for a task the killed worker held), nothing is left pending or
// processing, the survivors exit 0, and the queue pauses no longer than the
// slot's migration (plus the hook's resend period; the bound asserted is
// that no one waits for a lease). Two queues on one cluster, one after the
// other: an unsharded queue ({tag}) whose every key moves, and a sharded
// queue (--shards 3) whose shard 0 moves (claims skip it meanwhile; how much
// shards 1 and 2 do is logged, not asserted: see reshardUnderLoad).
func TestClusterReshardUnderLoad(t *testing.T) {
	srvs := startCluster(t)
	nodes := clusterNodes(t, srvs)
	env := []string{"REDIS_URL=redis://" + srvs[0].Addr() + "/0"}
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srvs[0].Addr()}})
	defer cl.Close()

	t.Run("one-slot", func(t *testing.T) {
		tag := firstSlotTag(t, nodes[0].c)
		q, err := queue.New(cl, queue.Options{Name: tag, Lease: reshardLease})
		must(t, err)
		reshardUnderLoad(t, reshardCase{nodes: nodes, env: env, args: []string{"--cluster", "--queue", tag}, q: q, moving: q})
	})
	t.Run("sharded", func(t *testing.T) {
		q, err := queue.New(cl, queue.Options{Shards: 3, Lease: reshardLease})
		must(t, err)
		moving := q.Shards()[0]
		reshardUnderLoad(t, reshardCase{nodes: nodes, env: env, args: []string{"--cluster", "--shards", "3"},
			q: q, moving: moving, others: q.Shards()[1:]})
	})
}

// reshardLease is the workers' lease: longer than a slot's migration takes
// here (a lease that lapses during a migration hands its task to another
// worker once the slot is back, a second run), short enough that the killed
// worker's tasks come back soon.
const reshardLease = 5 * time.Second

type reshardCase struct {
	nodes  []clusterNode
	env    []string
	args   []string     // imgq's global flags naming the queue
	q      *queue.Queue // the queue, to inspect it
	moving *queue.Queue // the (sub-)queue whose slot moves
	others []*queue.Queue
}

func reshardUnderLoad(t *testing.T, rc reshardCase) {
	ctx := context.Background()
	dir := t.TempDir()
	cl := rc.q.Client()
	tag := rc.moving.Name()
	slot := queue.KeySlot(tag)
	src := slotOwner(t, rc.nodes[0].c, rc.nodes, slot)
	dst := rc.nodes[0]
	for _, n := range rc.nodes {
		if n.id != src.id {
			dst = n
			break
		}
	}
	// redis-cli moves the source's lowest slots first: the slots below the
	// queue's go beforehand, without load, so that under load it moves one.
	if k := slotsUpTo(t, rc.nodes[0].c, src, slot); k > 1 {
		began := time.Now()
		reshard(t, src, dst, k-1)
		t.Logf("moved the %d slots below %d from %s to %s first, in %s", k-1, slot, src.srv.Addr(), dst.srv.Addr(), time.Since(began).Round(time.Millisecond))
	}
	t.Logf("%s: slot %d, the first of %s's; moving it to %s", tag, slot, src.srv.Addr(), dst.srv.Addr())

	// Filler keys in the slot stand for a big queue's records and blobs: they
	// make the migration last long enough to race with the workers.
	fill := cl.Pipeline()
	for i := range 10000 {
		fill.Set(ctx, fmt.Sprintf("%s:filler:%d", tag, i), "x", 0)
	}
	_, err := fill.Exec(ctx)
	must(t, err)

	enqueue := func(n int) []string {
		out, code := RunEnv(t, rc.env, dir, append(rc.args, "enqueue", "--count", strconv.Itoa(n), "--size", "16x16")...)
		if code != 0 {
			t.Errorf("enqueue %d: exit %d\n%s", n, code, lastLines(out, 5))
		}
		return parseIDs(out)
	}
	worker := func(id, delay string) *Proc {
		return StartEnv(t, rc.env, dir, append(rc.args, "worker", "--id", id, "--concurrency", "3",
			"--lease", reshardLease.String(), "--delay", delay, "--grace", "20s")...)
	}

	ids := enqueue(200)
	victim := worker("victim", "400ms")
	workers := []*Proc{worker("w1", "20ms"), worker("w2", "20ms")}

	// The victim dies holding tasks: their leases lapse and others run them.
	eventually(t, 30*time.Second, func() bool {
		for _, s := range append([]*queue.Queue{rc.moving}, rc.others...) {
			if held, err := cl.HVals(ctx, s.Keys().Processing).Result(); err == nil && slices.Contains(held, "victim") {
				return true
			}
		}
		return false
	})
	victim.Kill()
	before := errorStats(t, rc.nodes)
	if st, err := rc.moving.Stats(ctx); err == nil {
		t.Logf("%s before the reshard: %d pending, %d processing, %d completed", tag, st.PendingTotal(), st.Processing, st.Totals.Completed)
	}
	watch := watchMigration(src, dst, slot)

	// The reshard and a second producer at once.
	resharded := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(resharded)
		reshard(t, src, dst, 1)
	}()
	ids = append(ids, enqueue(150)...)
	enqueued := time.Since(start)
	<-resharded
	if t.Failed() {
		t.FailNow()
	}
	took := time.Since(start)
	from, to := watch()
	if from.IsZero() || to.IsZero() {
		mine, _ := dst.c.ClusterNodes(ctx).Result()
		t.Fatalf("slot %d: migration not seen (from %v to %v, reshard %v..%v)\n%s", slot, from, to, start, start.Add(took), mine)
	}
	migration := to.Sub(from)
	t.Logf("the producer's 150 tasks were acknowledged %s after the reshard began", enqueued.Round(time.Millisecond))
	refusals := diffStats(before, errorStats(t, rc.nodes))
	t.Logf("reshard took %s; slot %d migrating for %s (from %s after the start); replies meanwhile: %v",
		took.Round(time.Millisecond), slot, migration.Round(time.Millisecond), from.Sub(start).Round(time.Millisecond), refusals)
	if refusals["TRYAGAIN"]+refusals["ASK"] == 0 {
		t.Errorf("no ASK or TRYAGAIN during the migration: the queue did not race with it")
	}
	if owner := slotOwner(t, rc.nodes[0].c, rc.nodes, slot); owner.id != dst.id {
		t.Fatalf("slot %d still on %s after the reshard", slot, owner.srv.Addr())
	}
	if n, err := src.c.ClusterCountKeysInSlot(ctx, slot).Result(); err != nil || n != 0 {
		t.Fatalf("%s still holds %d keys of slot %d (%v)", src.srv.Addr(), n, slot, err)
	}
	ids = append(ids, enqueue(50)...)
	if len(ids) != 400 {
		t.Fatalf("%d tasks acknowledged by enqueue, want 400", len(ids))
	}

	s := waitFinished(t, rc.q, int64(len(ids)), 90*time.Second)
	claims := checkAllCompleted(t, rc.q, ids)
	again := 0
	for _, id := range ids {
		info, err := rc.q.Task(ctx, id)
		must(t, err)
		if info.Attempts > 1 {
			again++
			if !slices.Contains(claims[id], "victim") {
				t.Errorf("task %s ran %d times (claims %v) but the killed worker never held it", id, info.Attempts, claims[id])
			}
		}
	}
	if s.Failed != 0 {
		t.Errorf("%d dead letters, want none", s.Failed)
	}

	// The longest pause of completions across the slot's migration: on the
	// moving (sub-)queue, and on the others.
	stall := longestPause(t, rc.moving, from, to)
	t.Logf("%s: longest pause between completions across the migration: %s (migration %s); %d tasks recovered from the killed worker",
		tag, stall.Round(time.Millisecond), migration.Round(time.Millisecond), again)
	if stall > migration+reshardLease {
		t.Errorf("completions paused %s, longer than the migration (%s) plus a lease", stall, migration)
	}
	// The other shards go on: their claims skip the moving one, and the
	// moving shard's refused acknowledgements wait in the workers' carry
	// while theirs are recorded. Each completes some work meanwhile (dozens
	// of tasks in a migration of 1-2 s; the check asks for one).
	for _, o := range rc.others {
		n := 0
		for _, e := range allEvents(t, o) {
			if e.Kind == queue.EventCompleted && e.Time.After(from) && e.Time.Before(to) {
				n++
			}
		}
		t.Logf("%s (not moving): %d completed during the migration, longest pause %s", o.Name(), n, longestPause(t, o, from, to).Round(time.Millisecond))
		if n == 0 && migration > 500*time.Millisecond {
			t.Errorf("%s (not moving) completed nothing while %s migrated for %s", o.Name(), tag, migration)
		}
	}

	for _, w := range workers {
		_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, w := range workers {
		if code := w.Wait(t, 30*time.Second); code != 0 {
			t.Errorf("worker w%d exit %d", i+1, code)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("w%d:\n%s", i+1, lastLines(w.Output(), 20))
		}
	}
}

// reshard runs `redis-cli --cluster reshard`, moving the k lowest slots of
// src to dst. One key per MIGRATE (--cluster-pipeline 1, the default is 10)
// makes a slot's migration as long as a bigger queue's would be.
func reshard(t *testing.T, src, dst clusterNode, k int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", "--cluster", "reshard", src.srv.Addr(),
		"--cluster-from", src.id, "--cluster-to", dst.id, "--cluster-slots", strconv.Itoa(k),
		"--cluster-pipeline", "1", "--cluster-yes").CombinedOutput()
	if err != nil {
		t.Errorf("redis-cli --cluster reshard %d slots: %v\n%s", k, err, lastLines(string(out), 10))
	}
}

// longestPause is the longest time without a completion of q (completed
// events, by their time in Redis) that overlaps [from, to]: between two
// consecutive completions, or from from to the first one after it.
func longestPause(t *testing.T, q *queue.Queue, from, to time.Time) time.Duration {
	t.Helper()
	last := from
	var pause time.Duration
	for _, e := range allEvents(t, q) {
		if e.Kind != queue.EventCompleted {
			continue
		}
		if !e.Time.After(from) {
			last = from // the pause is counted from from at the earliest
			continue
		}
		if e.Time.After(from) && last.Before(to) {
			pause = max(pause, e.Time.Sub(last))
		}
		last = e.Time
	}
	return pause
}

// clusterNode is one master of the test cluster as the reshard sees it.
type clusterNode struct {
	srv *redistest.Server
	c   *redis.Client
	id  string // CLUSTER MYID
}

func clusterNodes(t *testing.T, srvs []*redistest.Server) []clusterNode {
	t.Helper()
	var out []clusterNode
	for _, s := range srvs {
		c := s.Client(t)
		id, err := c.Do(context.Background(), "CLUSTER", "MYID").Text()
		must(t, err)
		out = append(out, clusterNode{srv: s, c: c, id: id})
	}
	return out
}

// slotRange is one range of slots and the master that serves it.
type slotRange struct {
	start, end int
	id         string // the master's CLUSTER MYID
}

// slotRanges is the cluster's slot map as ask sees it (CLUSTER SHARDS).
func slotRanges(t *testing.T, ask *redis.Client) []slotRange {
	t.Helper()
	shards, err := ask.ClusterShards(context.Background()).Result()
	must(t, err)
	var out []slotRange
	for _, sh := range shards {
		for _, n := range sh.Nodes {
			if n.Role != "master" {
				continue
			}
			for _, r := range sh.Slots {
				out = append(out, slotRange{int(r.Start), int(r.End), n.ID})
			}
		}
	}
	return out
}

// slotOwner is the node that serves slot, as ask sees the cluster.
func slotOwner(t *testing.T, ask *redis.Client, nodes []clusterNode, slot int) clusterNode {
	t.Helper()
	ranges := slotRanges(t, ask)
	for _, r := range ranges {
		if slot < r.start || slot > r.end {
			continue
		}
		for _, n := range nodes {
			if n.id == r.id {
				return n
			}
		}
	}
	t.Fatalf("no node serves slot %d: %+v", slot, ranges)
	return clusterNode{}
}

// slotsUpTo counts the slots of owner up to and including slot: how many
// `redis-cli --cluster reshard --cluster-from owner` must move for slot to go.
func slotsUpTo(t *testing.T, ask *redis.Client, owner clusterNode, slot int) int {
	t.Helper()
	n := 0
	for _, r := range slotRanges(t, ask) {
		if r.id == owner.id && r.start <= slot {
			n += min(r.end, slot) - r.start + 1
		}
	}
	return n
}

// firstSlotTag is a hash tag whose slot is the first of a master's range, so
// that `redis-cli --cluster reshard --cluster-slots 1` moves exactly it.
func firstSlotTag(t *testing.T, ask *redis.Client) string {
	t.Helper()
	ranges := slotRanges(t, ask)
	for i := range 1_000_000 {
		tag := "rs" + strconv.Itoa(i)
		s := queue.KeySlot(tag)
		for _, r := range ranges {
			if s == r.start && r.start > 0 {
				return "{" + tag + "}"
			}
		}
	}
	t.Fatal("no hash tag at the start of a slot range")
	return ""
}

// watchMigration polls, every few milliseconds, whether the source marks
// slot as migrating (CLUSTER NODES: "[slot->-<dst id>]") and whether the
// destination serves it, until the caller asks for the result: when the
// slot started migrating and when the destination took it over.
func watchMigration(src, dst clusterNode, slot int) func() (from, to time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var from, to time.Time
	go func() {
		defer wg.Done()
		mark := fmt.Sprintf("[%d->-%s]", slot, dst.id)
		for ctx.Err() == nil {
			nodes, err := src.c.ClusterNodes(ctx).Result()
			now := time.Now()
			if err == nil && strings.Contains(nodes, mark) && from.IsZero() {
				from = now
			}
			if !from.IsZero() && to.IsZero() {
				if mine, err := dst.c.ClusterNodes(ctx).Result(); err == nil && ownsSlot(mine, slot) {
					to = now
					return
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() (time.Time, time.Time) {
		cancel()
		wg.Wait()
		return from, to
	}
}

// ownsSlot reads a node's own line of CLUSTER NODES: does it serve slot?
func ownsSlot(nodes string, slot int) bool {
	for _, line := range strings.Split(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.Contains(f[2], "myself") {
			continue
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a migrating or importing mark
			}
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && a <= slot && slot <= b {
				return true
			}
		}
	}
	return false
}

// errorStats sums the redirections and refusals of INFO errorstats (ASK,
// TRYAGAIN, MOVED) over the nodes.
func errorStats(t *testing.T, nodes []clusterNode) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, n := range nodes {
		info, err := n.c.Info(context.Background(), "errorstats").Result()
		must(t, err)
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":count=")
			if !ok {
				continue
			}
			v, _ := strconv.Atoi(rest)
			if name = strings.TrimPrefix(name, "errorstat_"); name != "ERR" { // go-redis' CLIENT SETINFO on Redis 7.0
				out[name] += v
			}
		}
	}
	return out
}

func diffStats(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range after {
		if v > before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// A script never runs half-way on a slot being migrated. The queue's slot is
// put in MIGRATING/IMPORTING state by hand and one task's record moved
// before the others, as redis-cli's key-by-key MIGRATE does: an
// acknowledgement whose declared keys are all still on the source would run
// there and fail on the record it derives ("non local key") after its first
// writes, leaving a task marked completed but still in processing. It must
// instead wait, untouched, and complete once the slot has moved.
func TestClusterScriptsWaitOutAMigratingSlot(t *testing.T) {
	srvs := startCluster(t)
	nodes := clusterNodes(t, srvs)
	ctx := context.Background()
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srvs[0].Addr()}})
	defer cl.Close()
	q, err := queue.New(cl, queue.Options{Name: "{mig}", Lease: time.Minute})
	must(t, err)
	for i := range 4 {
		_, _, err := q.Enqueue(ctx, queue.NewTask{ID: fmt.Sprintf("task-m%d", i), Payload: []byte("{}")})
		must(t, err)
	}
	c, err := q.Claim(ctx, "w", 3)
	must(t, err)
	// One finished task: the completed list exists, so every key the
	// acknowledgement declares is there to be found on the source.
	must(t, q.Complete(ctx, "w", c[2], []byte("{}"), time.Millisecond))

	slot := queue.KeySlot("{mig}")
	src := slotOwner(t, nodes[0].c, nodes, slot)
	dst := nodes[0]
	if dst.id == src.id {
		dst = nodes[1]
	}
	host, port, err := net.SplitHostPort(dst.srv.Addr())
	must(t, err)
	migrate := func(keys ...string) {
		t.Helper()
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		must(t, src.c.Do(ctx, args...).Err())
	}
	must(t, dst.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", src.id).Err())
	must(t, src.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst.id).Err())
	record := q.Keys().RecordPrefix + "task:"
	migrate(record + c[0].ID)

	done := make(chan error, 3)
	go func() { done <- q.Complete(ctx, "w", c[0], []byte("{}"), time.Millisecond) }() // its record has moved
	go func() { done <- q.Complete(ctx, "w", c[1], []byte("{}"), time.Millisecond) }() // its record has not
	var claimed []queue.Claimed
	go func() {
		var err error
		claimed, err = q.Claim(ctx, "w", 1)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a script call returned while its slot was migrating: %v", err)
	case <-time.After(time.Second):
	}
	if st := src.c.HGet(ctx, record+c[1].ID, "status").Val(); st != string(queue.StatusProcessing) {
		t.Fatalf("during the migration %s's record says %q, want it untouched (processing)", c[1].ID, st)
	}

	// The rest of the slot moves, then its owner changes, as redis-cli does it.
	for {
		keys, err := src.c.ClusterGetKeysInSlot(ctx, slot, 100).Result()
		must(t, err)
		if len(keys) == 0 {
			break
		}
		migrate(keys...)
	}
	must(t, dst.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dst.id).Err())
	for _, n := range nodes {
		if n.id != dst.id {
			must(t, n.c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dst.id).Err())
		}
	}
	for range 3 {
		select {
		case err := <-done:
			must(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("script calls still waiting 30s after the slot moved")
		}
	}
	if len(claimed) != 1 || claimed[0].ID != "task-m3" || claimed[0].Attempt != 1 {
		t.Fatalf("claim across the migration: %+v", claimed)
	}
	s, err := q.Stats(ctx)
	must(t, err)
	if s.Processing != 1 || s.Totals.Completed != 3 || s.Failed != 0 {
		t.Fatalf("after the migration: processing %d completed %d failed %d, want 1, 3, 0", s.Processing, s.Totals.Completed, s.Failed)
	}
	checkAllCompleted(t, q, []string{c[0].ID, c[1].ID, c[2].ID})
	if n, err := src.c.ClusterCountKeysInSlot(ctx, slot).Result(); err != nil || n != 0 {
		t.Fatalf("the source still holds %d keys of the slot (%v)", n, err)
	}
}
