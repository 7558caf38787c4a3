package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// startCluster starts three redis-server masters with cluster mode on, joins them
// with redis-cli --cluster create, and waits for cluster_state:ok.
func startCluster(t *testing.T) []*redistest.Server {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli not found (Debian's redis-tools): %v", err)
	}
	var nodes []*redistest.Server
	args := []string{"--cluster", "create"}
	for range 3 {
		s := redistest.Start(t, redistest.Options{Args: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"}})
		nodes = append(nodes, s)
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	for _, n := range nodes {
		c := n.Client(t)
		eventually(t, 30*time.Second, func() bool {
			info, err := c.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	return nodes
}

// The queue named with a hash tag ({img}) runs on a 3-master Redis Cluster
// through go-redis' cluster client (imgq --cluster): enqueue, claim, complete,
// retry with backoff, dead-letter, requeue, recovery of an expired lease, stats,
// events and flush; every key of the queue sits in one slot. A queue name with
// no hash tag is refused up front with a clear message.
func TestClusterCoreGuarantees(t *testing.T) {
	nodes := startCluster(t)
	dir := t.TempDir()
	ctx := context.Background()
	env := []string{"REDIS_URL=redis://" + nodes[1].Addr() + "/0"}
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].Addr()}})
	defer cl.Close()
	q, err := queue.New(cl, queue.Options{Name: "{img}", Lease: time.Second})
	must(t, err)
	must(t, q.LoadScripts(ctx))
	run := func(a ...string) string {
		out, code := RunEnv(t, env, dir, append([]string{"--cluster", "--queue", "{img}"}, a...)...)
		if code != 0 {
			t.Fatalf("imgq --cluster %v: exit %d\n%s", a, code, out)
		}
		return out
	}

	// No hash tag: the queue's keys would spread over slots; refused with advice.
	out, code := RunEnv(t, env, dir, "--cluster", "stats")
	if code == 0 || !strings.Contains(out, "hash tag") {
		t.Fatalf("--cluster with an untagged queue name: exit %d, want a hash-tag hint:\n%s", code, out)
	}
	t.Logf("untagged queue on a cluster: %s", firstLine(out))

	// Enqueue and complete.
	ids := parseIDs(run("enqueue", "--count", "6", "--size", "16x16"))
	w := StartEnv(t, env, dir, "--cluster", "--queue", "{img}", "worker", "--id", "cw", "--concurrency", "2", "--lease", "1s")
	waitFinished(t, q, 6, 60*time.Second)
	checkAllCompleted(t, q, ids)

	// Retry with backoff, then dead-letter: injected (retryable) failures.
	must(t, q.SetFailRate(ctx, 1))
	time.Sleep(1500 * time.Millisecond) // workers read the rate at their heartbeat
	bad := parseIDs(run("enqueue", "--count", "1", "--size", "16x16", "--name", "unlucky"))
	eventually(t, 60*time.Second, func() bool {
		info, err := q.Task(ctx, bad[0])
		return err == nil && info.Status == queue.StatusFailed
	})
	info, _ := q.Task(ctx, bad[0])
	if info.Attempts != 3 || !strings.Contains(info.Error, "injected") {
		t.Fatalf("dead letter after retries: attempts %d error %q", info.Attempts, info.Error)
	}
	// Permanent failure: a garbage payload is dead-lettered at once.
	_, _, err = q.Enqueue(ctx, queue.NewTask{ID: "task-garbage", Payload: []byte("{{{")})
	must(t, err)
	eventually(t, 30*time.Second, func() bool {
		i, err := q.Task(ctx, "task-garbage")
		return err == nil && i.Status == queue.StatusFailed && i.Attempts == 1
	})
	must(t, q.SetFailRate(ctx, 0))
	time.Sleep(1500 * time.Millisecond)
	if out := run("requeue", bad[0]); !strings.Contains(out, "requeued 1") {
		t.Fatalf("requeue: %s", out)
	}
	eventually(t, 30*time.Second, func() bool {
		i, err := q.Task(ctx, bad[0])
		return err == nil && i.Status == queue.StatusCompleted
	})

	// Recovery of an expired lease: a claimer that never acknowledges.
	_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	w.Wait(t, 30*time.Second)
	lost := parseIDs(run("enqueue", "--count", "1", "--size", "16x16", "--priority", "high"))
	got, err := q.Claim(ctx, "ghost", 1)
	must(t, err)
	if len(got) != 1 || got[0].ID != lost[0] {
		t.Fatalf("ghost claim: %+v", got)
	}
	rescuer := StartEnv(t, env, dir, "--cluster", "--queue", "{img}", "worker", "--id", "rescuer", "--lease", "1s")
	eventually(t, 30*time.Second, func() bool {
		i, err := q.Task(ctx, lost[0])
		return err == nil && i.Status == queue.StatusCompleted && i.Worker == "rescuer"
	})

	// Stats, events, task by prefix.
	out = run("stats", "--json")
	if !strings.Contains(out, `"completed": 8`) || !strings.Contains(out, `"failed": 1`) {
		t.Fatalf("stats on the cluster:\n%s", out)
	}
	ev := run("events", "--follow=false", "--last", "200")
	for _, kind := range []string{"enqueued", "claimed", "completed", "retried", "failed", "requeued", "recovered", "worker_up"} {
		if !strings.Contains(ev, " "+kind+" ") {
			t.Errorf("events on the cluster lack %q:\n%s", kind, ev)
		}
	}
	run("task", ids[0][:10])

	_ = rescuer.Cmd.Process.Signal(syscall.SIGTERM)
	if code := rescuer.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("rescuer exit %d", code)
	}

	// Every key of the queue is in one slot, on one master.
	slot := cl.ClusterKeySlot(ctx, "{img}:pending").Val()
	var keys []string
	var mu sync.Mutex // ForEachMaster runs its callbacks concurrently
	must(t, cl.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, "{img}:*", 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}))
	for _, k := range keys {
		if s := cl.ClusterKeySlot(ctx, k).Val(); s != slot {
			t.Fatalf("key %s is in slot %d, the queue in %d", k, s, slot)
		}
	}
	// Flush removes them all, on whichever master holds them, and nothing else.
	must(t, cl.Set(ctx, "{other}:keep", "1", 0).Err())
	out = run("flush", "--yes")
	if !strings.Contains(out, fmt.Sprintf("removed %d keys", len(keys))) {
		t.Fatalf("flush removed other than the %d keys found: %s", len(keys), out)
	}
	must(t, cl.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.Keys(ctx, "{img}:*").Result()
		for _, k := range n {
			if !strings.HasSuffix(k, ":events") { // flush's own event
				return fmt.Errorf("key %s survived flush", k)
			}
		}
		return err
	}))
	if cl.Get(ctx, "{other}:keep").Val() != "1" {
		t.Fatal("flush removed another key")
	}
	t.Logf("cluster: 3 masters, queue {img} in slot %d: %d keys, every guarantee held, flush removed them all", slot, len(keys))
}
