package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// Fault 2: redis-server is SIGKILLed mid-run (appendonly yes, appendfsync always)
// and started again on the same port and folder. Every task acknowledged at
// enqueue is completed; workers and `imgq stats --watch` reconnect by themselves
// (the stats process prints fresh numbers after the restart); an enqueue tried
// while Redis is down fails with a clear message and a non-zero exit.
func TestFaultRedisRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	dir := t.TempDir()
	q := newQueue(t, srv, "restart")
	ids := enqueueIDs(t, srv, dir, "--queue", "restart", "--count", "150", "--size", "32x24", "--filters", "grayscale")

	watch := Start(t, srv, dir, "stats", "--queue", "restart", "--watch", "--interval", "200ms")
	for i := range 2 {
		Start(t, srv, dir, "worker", "--queue", "restart", "--id", fmt.Sprintf("r%d", i), "--concurrency", "2",
			"--delay", "50ms", "--lease", "3s", "--worker-timeout", "5s")
	}
	eventually(t, 30*time.Second, func() bool {
		s, err := q.Stats(context.Background())
		return err == nil && s.Totals.Completed >= 20
	})

	srv.Kill()
	killedAt := time.Now()
	out, code := Run(t, srv, dir, "enqueue", "--queue", "restart", "--count", "3", "--size", "32x24")
	if code == 0 || !strings.Contains(out, "nothing answers at") {
		t.Fatalf("enqueue while redis is down: exit %d, want a clear error:\n%s", code, out)
	}
	t.Logf("enqueue while down: %s", firstLine(out))
	time.Sleep(time.Second)
	srv.Restart()
	t.Logf("redis-server down for %s, restarted with its append-only file", time.Since(killedAt).Round(time.Millisecond))

	more := enqueueIDs(t, srv, dir, "--queue", "restart", "--count", "20", "--size", "32x24", "--filters", "grayscale")
	ids = append(ids, more...)
	waitFinished(t, q, int64(len(ids)), 90*time.Second)
	claims := checkAllCompleted(t, q, ids)
	dups := 0
	for _, c := range claims {
		if len(c) > 1 {
			dups++
		}
	}
	// The stats watcher saw Redis go away and came back with the new totals.
	eventually(t, 20*time.Second, func() bool {
		o := watch.Output()
		i := strings.Index(o, "redis unavailable")
		return i >= 0 && strings.Contains(o[i:], fmt.Sprintf("enqueued %d ", len(ids)))
	})
	s, err := q.Stats(context.Background())
	must(t, err)
	live := 0
	for _, w := range s.Workers {
		if w.State != queue.WorkerGone && w.State != queue.WorkerStop {
			live++
		}
	}
	if live != 2 {
		t.Fatalf("after the restart %d workers are live, want the 2 that reconnected: %+v", live, s.Workers)
	}
	t.Logf("redis restart: %d acknowledged tasks, all completed, 0 lost; %d ran twice", len(ids), dups)
}

// Fault 3: CLIENT KILL TYPE normal, five times during a run: workers and an
// `imgq events` follower reconnect; nothing is lost.
func TestFaultClientKill(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "ckill")
	ids := enqueueIDs(t, srv, dir, "--queue", "ckill", "--count", "120", "--size", "32x24", "--filters", "grayscale")
	follow := Start(t, srv, dir, "events", "--queue", "ckill", "--last", "0")
	for i := range 2 {
		Start(t, srv, dir, "worker", "--queue", "ckill", "--id", fmt.Sprintf("k%d", i), "--concurrency", "2",
			"--delay", "40ms", "--lease", "3s")
	}
	admin := srv.Client(t)
	ctx := context.Background()
	eventually(t, 30*time.Second, func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.Totals.Completed >= 10
	})
	var killedConns int64
	for range 5 {
		n, err := admin.ClientKillByFilter(ctx, "TYPE", "normal").Result()
		must(t, err)
		killedConns += n
		time.Sleep(300 * time.Millisecond)
	}
	more := enqueueIDs(t, srv, dir, "--queue", "ckill", "--count", "5", "--size", "32x24", "--name", "after-kill")
	ids = append(ids, more...)
	waitFinished(t, q, int64(len(ids)), 90*time.Second)
	checkAllCompleted(t, q, ids)
	eventually(t, 20*time.Second, func() bool { return strings.Contains(follow.Output(), more[len(more)-1]) })
	// An ack whose reply was cut is resent by go-redis; the resend must be taken
	// as the ack it is, not refused as a lost lease over the worker's own completion.
	for _, e := range allEvents(t, q) {
		if e.Kind == queue.EventLeaseRefused && strings.Contains(e.Error, "now completed by "+e.Worker+")") {
			t.Errorf("resent ack of %s by %s was refused: %s", e.Task, e.Worker, e.Error)
		}
	}
	t.Logf("client kill: %d connections cut in 5 rounds; %d tasks completed, 0 lost", killedConns, len(ids))
}

// Fault 4: DEBUG SLEEP 2 stalls Redis with tasks in flight. With the default 30 s
// lease nothing is wrongly expired: no recovery, no refused ack, no worker
// declared gone, every task runs once; heartbeats resume after the stall.
func TestFaultRedisStall(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--enable-debug-command", "yes"}})
	dir := t.TempDir()
	q := newQueue(t, srv, "stall")
	ids := enqueueIDs(t, srv, dir, "--queue", "stall", "--count", "12", "--size", "32x24", "--filters", "grayscale")
	for i := range 2 {
		Start(t, srv, dir, "worker", "--queue", "stall", "--id", fmt.Sprintf("s%d", i), "--concurrency", "2", "--delay", "1500ms")
	}
	ctx := context.Background()
	eventually(t, 30*time.Second, func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.Processing == 4
	})
	slow := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 10 * time.Second})
	defer slow.Close()
	must(t, slow.Do(ctx, "DEBUG", "SLEEP", "2").Err())
	after, err := q.Now(ctx)
	must(t, err)
	waitFinished(t, q, int64(len(ids)), 60*time.Second)
	claims := checkAllCompleted(t, q, ids)
	for id, c := range claims {
		if len(c) != 1 {
			t.Errorf("task %s claimed %d times (%v) across a 2 s stall", id, len(c), c)
		}
	}
	k := countKinds(allEvents(t, q))
	if k[queue.EventRecovered]+k[queue.EventLeaseRefused]+k[queue.EventWorkerGone] != 0 {
		t.Fatalf("a 2 s stall caused recovered=%d ack_refused=%d worker_gone=%d", k[queue.EventRecovered], k[queue.EventLeaseRefused], k[queue.EventWorkerGone])
	}
	eventually(t, 10*time.Second, func() bool {
		s, err := q.Stats(ctx)
		if err != nil || len(s.Workers) != 2 {
			return false
		}
		for _, w := range s.Workers {
			if !w.LastSeen.After(after) {
				return false
			}
		}
		return true
	})
	t.Logf("stall: DEBUG SLEEP 2 with 4 tasks in flight; %d tasks each ran once, heartbeats resumed", len(ids))
}

// Fault 5: Redis full (maxmemory, noeviction). Enqueue fails with a clear error
// and a non-zero exit; the queue's state stays consistent (every pending id has
// its hash, no half-made task); once memory is freed work resumes and every
// acknowledged task completes.
func TestFaultRedisFull(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory-policy", "noeviction"}})
	dir := t.TempDir()
	q := newQueue(t, srv, "full")
	ctx := context.Background()
	admin := srv.Client(t)
	ids := enqueueIDs(t, srv, dir, "--queue", "full", "--count", "3", "--size", "32x24")

	// Fill Redis with someone else's data and cap memory just above it.
	must(t, admin.Set(ctx, "other:filler", strings.Repeat("x", 4<<20), 0).Err())
	// 2 MB is well under what the filler alone takes: Redis is full.
	must(t, admin.ConfigSet(ctx, "maxmemory", "2mb").Err())
	if used := usedMemory(t, admin); used < 2<<20 {
		t.Fatalf("used_memory %d is under maxmemory", used)
	}
	out, code := Run(t, srv, dir, "enqueue", "--queue", "full", "--count", "20", "--size", "400x300")
	if code == 0 {
		t.Fatalf("enqueue into a full Redis succeeded:\n%s", out)
	}
	if !strings.Contains(out, "Redis is out of memory") {
		t.Fatalf("enqueue into a full Redis: no clear error:\n%s", out)
	}
	t.Logf("enqueue into a full redis: %s", firstLine(lastLines(out, 1)))
	// Whatever was acknowledged before memory ran out counts; nothing half-made.
	ids = append(ids, parseIDs(out)...)
	checkConsistent(t, q, admin)

	must(t, admin.Del(ctx, "other:filler").Err())
	more := enqueueIDs(t, srv, dir, "--queue", "full", "--count", "5", "--size", "32x24")
	ids = append(ids, more...)
	Start(t, srv, dir, "worker", "--queue", "full", "--id", "f0", "--concurrency", "2")
	s := waitFinished(t, q, int64(len(ids)), 60*time.Second)
	if s.Totals.Enqueued != int64(len(ids)) {
		t.Fatalf("totals say %d enqueued, %d acknowledged", s.Totals.Enqueued, len(ids))
	}
	checkAllCompleted(t, q, ids)
	t.Logf("redis full: %d acknowledged tasks completed after memory was freed, 0 lost", len(ids))
}

func usedMemory(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	must(t, err)
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	t.Fatal("no used_memory in INFO")
	return 0
}

// checkConsistent: every id in a pending list has its task hash (pending), every
// task hash is in exactly one place, and totals agree with the lists.
func checkConsistent(t *testing.T, q *queue.Queue, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	k := q.Keys()
	place := map[string]string{}
	for _, l := range []string{k.PendingHigh, k.Pending, k.PendingLow, k.Processing, k.Completed, k.Failed} {
		ids, err := c.LRange(ctx, l, 0, -1).Result()
		must(t, err)
		for _, id := range ids {
			if p, dup := place[id]; dup {
				t.Fatalf("task %s is in %s and %s", id, p, l)
			}
			place[id] = l
			if n, _ := c.Exists(ctx, k.Task(id)).Result(); n != 1 {
				t.Fatalf("task %s in %s has no hash", id, l)
			}
		}
	}
	iter := c.Scan(ctx, 0, k.Prefix+"task:*", 100).Iterator()
	for iter.Next(ctx) {
		id := strings.TrimPrefix(iter.Val(), k.Prefix+"task:")
		if _, ok := place[id]; !ok {
			st, _ := c.HGet(ctx, iter.Val(), "status").Result()
			if st != string(queue.StatusRetry) {
				t.Fatalf("task hash %s (status %q) is in no list: a half-made task", id, st)
			}
		}
	}
	must(t, iter.Err())
	s, err := q.Stats(ctx)
	must(t, err)
	if got := s.PendingTotal() + s.Processing + s.Completed + s.Failed + s.Retry; got != s.Totals.Enqueued {
		t.Fatalf("lists hold %d tasks, totals say %d enqueued", got, s.Totals.Enqueued)
	}
}

// Fault 7: a task that takes longer than the lease on a live worker (heartbeats
// extend the lease) is never handed to a second worker, idle as it may be.
func TestFaultLongTaskKeepsItsLease(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "long")
	ids := enqueueIDs(t, srv, dir, "--queue", "long", "--count", "1", "--size", "32x24")
	Start(t, srv, dir, "worker", "--queue", "long", "--id", "slow", "--delay", "7s", "--lease", "2s", "--heartbeat", "500ms")
	waitEvent(t, q, 20*time.Second, "claimed by slow", func(e queue.Event) bool {
		return e.Kind == queue.EventClaimed && e.Worker == "slow"
	})
	Start(t, srv, dir, "worker", "--queue", "long", "--id", "idle", "--lease", "2s", "--heartbeat", "500ms")
	waitFinished(t, q, 1, 40*time.Second)
	claims := checkAllCompleted(t, q, ids)
	if c := claims[ids[0]]; len(c) != 1 || c[0] != "slow" {
		t.Fatalf("a 7 s task under a 2 s lease was claimed by %v, want only slow", c)
	}
	k := countKinds(allEvents(t, q))
	if k[queue.EventRecovered] != 0 || k[queue.EventLeaseRefused] != 0 {
		t.Fatalf("long task: recovered=%d ack_refused=%d", k[queue.EventRecovered], k[queue.EventLeaseRefused])
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(len(l)-n, 0):], "\n")
}
