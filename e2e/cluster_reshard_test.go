package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

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

// slotOwner is the node that serves slot, as node asks the cluster (CLUSTER SLOTS).
func slotOwner(t *testing.T, ask *redis.Client, nodes []clusterNode, slot int) (clusterNode, redis.ClusterSlot) {
	t.Helper()
	slots, err := ask.ClusterSlots(context.Background()).Result()
	must(t, err)
	for _, r := range slots {
		if slot < r.Start || slot > r.End || len(r.Nodes) == 0 {
			continue
		}
		for _, n := range nodes {
			if n.id == r.Nodes[0].ID {
				return n, r
			}
		}
	}
	t.Fatalf("no node serves slot %d: %+v", slot, slots)
	return clusterNode{}, redis.ClusterSlot{}
}

// firstSlotTag is a hash tag whose slot is the first of a master's range, so
// that `redis-cli --cluster reshard --cluster-slots 1`, which moves the
// lowest slots of the source first, moves exactly the queue's slot.
func firstSlotTag(t *testing.T, ask *redis.Client) string {
	t.Helper()
	slots, err := ask.ClusterSlots(context.Background()).Result()
	must(t, err)
	for i := 0; i < 1_000_000; i++ {
		tag := "rs" + strconv.Itoa(i)
		s := queue.KeySlot(tag)
		for _, r := range slots {
			if s == r.Start && r.Start > 0 {
				return "{" + tag + "}"
			}
		}
	}
	t.Fatal("no hash tag at the start of a slot range")
	return ""
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

// A queue keeps running while `redis-cli --cluster reshard` moves the slot
// holding all its keys to another master: three workers, one SIGKILLed
// mid-task, tasks enqueued before and during the migration. Every task
// completes exactly once (a second attempt only for a task the killed worker
// held), nothing stays pending or processing, and the survivors exit 0.
func TestClusterReshardUnderLoad(t *testing.T) {
	srvs := startCluster(t)
	nodes := clusterNodes(t, srvs)
	ctx := context.Background()
	dir := t.TempDir()
	tag := firstSlotTag(t, nodes[0].c)
	slot := queue.KeySlot(tag)
	src, rng := slotOwner(t, nodes[0].c, nodes, slot)
	dst := nodes[0]
	for _, n := range nodes {
		if n.id != src.id {
			dst = n
			break
		}
	}
	t.Logf("queue %s: slot %d, first of %d-%d on %s; moving it to %s", tag, slot, rng.Start, rng.End, src.srv.Addr(), dst.srv.Addr())

	env := []string{"REDIS_URL=redis://" + srvs[0].Addr() + "/0"}
	qargs := []string{"--cluster", "--queue", tag}
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srvs[0].Addr()}})
	defer cl.Close()
	q, err := queue.New(cl, queue.Options{Name: tag, Lease: 5 * time.Second})
	must(t, err)
	enqueue := func(n int) []string {
		out, code := RunEnv(t, env, dir, append(qargs, "enqueue", "--count", strconv.Itoa(n), "--size", "16x16")...)
		if code != 0 {
			t.Errorf("enqueue %d: exit %d\n%s", n, code, lastLines(out, 10))
		}
		return parseIDs(out)
	}
	worker := func(id, delay string) *Proc {
		return StartEnv(t, env, dir, append(qargs, "worker", "--id", id, "--concurrency", "3", "--lease", "5s", "--delay", delay, "--grace", "20s")...)
	}

	// Filler keys in the queue's slot stand for a big queue's records and
	// blobs: they make the migration last long enough to race with the workers.
	fill := cl.Pipeline()
	for i := range 10000 {
		fill.Set(ctx, fmt.Sprintf("%s:filler:%d", tag, i), "x", 0)
	}
	_, err = fill.Exec(ctx)
	must(t, err)

	ids := enqueue(150)
	victim := worker("victim", "400ms")
	workers := []*Proc{worker("w1", "20ms"), worker("w2", "20ms")}

	// The victim dies holding tasks: their leases must lapse and others run them.
	eventually(t, 30*time.Second, func() bool {
		held, err := cl.HVals(ctx, q.Keys().Processing).Result()
		return err == nil && slices.Contains(held, "victim")
	})
	victim.Kill()
	before := errorStats(t, nodes)

	// The reshard and a second producer run at once.
	type reshardResult struct {
		out  string
		err  error
		took time.Duration
		end  time.Time
	}
	resharded := make(chan reshardResult, 1)
	start := time.Now()
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(cctx, "redis-cli", "--cluster", "reshard", src.srv.Addr(),
			"--cluster-from", src.id, "--cluster-to", dst.id, "--cluster-slots", "1",
			"--cluster-pipeline", "1", "--cluster-yes").CombinedOutput()
		resharded <- reshardResult{string(out), err, time.Since(start), time.Now()}
	}()
	ids = append(ids, enqueue(150)...)
	r := <-resharded
	if r.err != nil {
		t.Fatalf("redis-cli --cluster reshard: %v\n%s", r.err, r.out)
	}
	after := errorStats(t, nodes)
	t.Logf("reshard of slot %d took %s; errors replied meanwhile: %v (before %v)", slot, r.took, after, before)

	if owner, _ := slotOwner(t, nodes[0].c, nodes, slot); owner.id != dst.id {
		t.Fatalf("slot %d still on %s after the reshard", slot, owner.srv.Addr())
	}
	ids = append(ids, enqueue(50)...)
	if len(ids) != 350 {
		t.Fatalf("%d tasks acknowledged by enqueue, want 350", len(ids))
	}

	s := waitFinished(t, q, int64(len(ids)), 60*time.Second)
	claims := checkAllCompleted(t, q, ids)
	for _, id := range ids {
		info, err := q.Task(ctx, id)
		must(t, err)
		if info.Attempts > 1 && !slices.Contains(claims[id], "victim") {
			t.Errorf("task %s ran %d times (claims %v) but the killed worker never held it", id, info.Attempts, claims[id])
		}
	}
	if s.Failed != 0 {
		t.Errorf("%d dead letters, want none", s.Failed)
	}
	for _, n := range []clusterNode{src, dst} {
		k, err := n.c.ClusterCountKeysInSlot(ctx, int(slot)).Result()
		must(t, err)
		t.Logf("%s holds %d keys of slot %d", n.srv.Addr(), k, slot)
	}

	// The longest pause between completions during and after the reshard.
	var last time.Time
	var stall time.Duration
	var stallAt time.Time
	for _, e := range allEvents(t, q) {
		if e.Kind != queue.EventCompleted {
			continue
		}
		if !last.IsZero() && e.Time.After(start.Add(-time.Second)) {
			if g := e.Time.Sub(last); g > stall {
				stall, stallAt = g, last
			}
		}
		last = e.Time
	}
	t.Logf("longest pause between completions around the reshard: %s (from %s after it started)", stall, stallAt.Sub(start))

	for _, w := range workers {
		_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, w := range workers {
		if code := w.Wait(t, 30*time.Second); code != 0 {
			t.Errorf("worker w%d exit %d", i+1, code)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("w%d:\n%s", i+1, lastLines(w.Output(), 60))
		}
	}
}
