package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// failoverFigures is what one failover measured.
type failoverFigures struct {
	durable bool
	acked   int // enqueues acknowledged to the producer
	// After the kill: Sentinel named the replica; a task completed again; the
	// restarted old primary replicates the new master; no task left.
	switched, resumed, replicated, drained time.Duration
	enqueued                               time.Duration // the first enqueue acknowledged after the kill
	completed, dead, lost, twice           int
}

func (f failoverFigures) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("durable=%-5v acked=%d; after the kill: master switched %s, a task completed %s, an enqueue acknowledged %s, replica back %s, queue drained %s; completed %d, dead-lettered %d, lost %d, run twice %d",
		f.durable, f.acked, r(f.switched), r(f.resumed), r(f.enqueued), r(f.replicated), r(f.drained), f.completed, f.dead, f.lost, f.twice)
}

// Two `imgq worker` processes (built from the tree, 8 slots each) and an
// in-process producer reach the queue through three Sentinels
// (redis+sentinel://), with 800 tiny image tasks in flight; the primary is
// killed with SIGKILL. Sentinel promotes the replica, everyone follows it, and
// the old primary is restarted once the switch is made (Sentinel turns it into
// the new master's replica; restarted earlier, an empty master, it could win).
// Measured with --durable off and on: the time until the switch and until a
// task completes again, and the tasks lost and run twice. With --durable, no
// acknowledged task is lost: each is completed or dead-lettered with a reason.
// Without it the loss is only logged (asynchronous replication may drop the
// last writes), and the queue must keep working.
func TestSentinelFailover(t *testing.T) {
	needSentinel(t)
	var figs []failoverFigures
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable=%v", durable), func(t *testing.T) {
			figs = append(figs, sentinelFailover(t, durable))
		})
	}
	for _, f := range figs {
		t.Logf("failover: %s", f)
	}
}

func sentinelFailover(t *testing.T, durable bool) failoverFigures {
	ctx := context.Background()
	set := startSentinelSet(t)
	conn, err := redisconn.Connect(ctx, redisconn.Options{URL: set.URL()})
	must(t, err)
	defer conn.Close()
	if addr, err := conn.MasterAddr(ctx); err != nil || addr != set.primary.Addr() || conn.Topology() != redisconn.Sentinel {
		t.Fatalf("through Sentinel: topology %s, master %q (%v), want %s", conn.Topology(), addr, err, set.primary.Addr())
	}
	if !durable { // once is enough
		checkSentinelErrors(t, set)
	}
	q, err := queue.New(conn.Client, queue.Options{Name: "sq", Durable: durable})
	must(t, err)
	must(t, q.LoadScripts(ctx))

	dir := t.TempDir()
	args := []string{"worker", "--queue", "sq", "-v", "-c", "8", "--delay", "30ms", "--lease", "3s", "--output", filepath.Join(dir, "out")}
	if durable {
		args = append(args, "--durable")
	}
	env := []string{"REDIS_URL=" + set.URL()}
	w1, w2 := StartEnv(t, env, dir, args...), StartEnv(t, env, dir, args...)

	// 600 tasks before the kill, 200 more enqueued one by one across it.
	tasks := sampleTasks(t, 800)
	var acked []string
	for i := 0; i < 600; i += 50 {
		ids, err := q.EnqueueBatch(ctx, tasks[i:i+50])
		must(t, err)
		acked = append(acked, ids...)
	}
	started := time.Now()
	eventuallyFor(t, 30*time.Second, "150 tasks completed", func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.Totals.Completed >= 150
	})
	t.Logf("before the kill: 150 tasks completed in %s", time.Since(started).Round(10*time.Millisecond))
	p := startProducer(t, q, tasks[600:])

	time.Sleep(100 * time.Millisecond) // the producer is under way
	killed := time.Now()
	set.primary.Kill()
	f := failoverFigures{durable: durable}
	eventuallyFor(t, 30*time.Second, "the Sentinels to name the replica master", func() bool {
		addr, err := conn.MasterAddr(ctx)
		return err == nil && addr == set.replica.Addr()
	})
	f.switched = time.Since(killed)
	set.primary.Restart()
	f.resumed = waitResumed(t, q, killed)
	// The master the Sentinels name now: the replica, or, after a second
	// failover (a Sentinel on a loaded machine can judge the new master down
	// while it serves the old primary's full resync), the old primary again.
	nodes := map[string]*redis.Client{set.replica.Addr(): set.replica.Client(t), set.primary.Addr(): set.primary.Client(t)}
	master := func() *redis.Client {
		addr, err := conn.MasterAddr(ctx)
		if err != nil || nodes[addr] == nil {
			return nodes[set.replica.Addr()]
		}
		return nodes[addr]
	}
	f.replicated, f.drained = waitReplicaAndDrain(t, q, p, master, killed)
	if addr, _ := conn.MasterAddr(ctx); addr != set.replica.Addr() {
		t.Logf("the Sentinels failed over a second time, to %s", addr)
	}
	acked = append(acked, p.wait(t)...)
	f.acked = len(acked)
	f.enqueued = p.firstAckAfter(killed)
	runs := runsPerTask(w1.Output(), w2.Output())
	for _, w := range []*Proc{w1, w2} {
		if out := w.Output(); strings.Contains(out, sentinelPassword) || !strings.Contains(out, "redis+sentinel://:xxxxx@") {
			t.Errorf("worker output shows the password, or not the redacted URL:\n%s", firstLine(out))
		}
	}
	for _, id := range acked {
		if runs[id] > 1 {
			f.twice++
		}
		ti, err := q.Task(ctx, id)
		switch {
		case err == nil && ti.Status == queue.StatusCompleted:
			f.completed++
		case err == nil && ti.Status == queue.StatusFailed:
			f.dead++
			if ti.Error == "" {
				t.Errorf("task %s dead-lettered without a reason", id)
			}
		default:
			f.lost++
			t.Logf("lost: %s (status %q, err %v, ran %d time(s))", id, ti.Status, err, runs[id])
		}
	}
	t.Logf("failover: %s", f)
	t.Logf("worker warnings: %v", warnings(w1.Output(), w2.Output()))
	if durable && f.lost > 0 {
		t.Errorf("--durable lost %d acknowledged task(s)", f.lost)
	}
	return f
}

// checkSentinelErrors: a wrong master name or password is said plainly,
// without the password.
func checkSentinelErrors(t *testing.T, set *sentinelSet) {
	t.Helper()
	for url, want := range map[string]string{
		strings.Replace(set.URL(), "/"+sentinelMaster, "/nosuchmaster", 1): "know no master named",
		strings.Replace(set.URL(), sentinelPassword, "wrong-pass", 1):      "refused the password",
	} {
		conn, err := redisconn.Connect(context.Background(), redisconn.Options{URL: url})
		if err == nil {
			conn.Close()
			t.Fatalf("%s accepted", redisconn.Redact(url))
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "wrong-pass") {
			t.Errorf("connect %s: %v, want %q and no password", redisconn.Redact(url), err, want)
		}
	}
}

// sampleTasks builds n tiny image tasks (16×16, grayscale).
func sampleTasks(t *testing.T, n int) []queue.NewTask {
	spec, err := pipeline.Parse("grayscale")
	must(t, err)
	ts := make([]queue.NewTask, n)
	for i := range ts {
		ts[i], err = workers.SampleTask(spec, 16, 16, int64(i), "") // a fresh id each
		must(t, err)
	}
	return ts
}

// waitResumed waits until a task completes after the failover and returns the
// time since the kill: the first completion count read from the new master is
// the baseline, the next higher one is work resumed.
func waitResumed(t *testing.T, q *queue.Queue, killed time.Time) time.Duration {
	t.Helper()
	base := int64(-1)
	var resumed time.Duration
	eventuallyFor(t, 30*time.Second, "a task to complete after the failover", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s, err := q.Stats(ctx)
		switch {
		case err != nil:
			return false
		case base < 0:
			base = s.Totals.Completed
			return false
		case s.Totals.Completed > base:
			resumed = time.Since(killed)
			return true
		}
		return false
	})
	return resumed
}

// waitReplicaAndDrain waits until the restarted old primary replicates the new
// master, and the producer is done and the queue has nothing left to do, and
// returns when each happened (after the kill). With --durable the drain needs
// the replica; without, not.
func waitReplicaAndDrain(t *testing.T, q *queue.Queue, p *producer, master func() *redis.Client, killed time.Time) (replica, drained time.Duration) {
	t.Helper()
	ctx := context.Background()
	eventuallyFor(t, 40*time.Second, "the replica back and the queue drained", func() bool {
		if replica == 0 {
			info := master().Info(ctx, "replication").Val()
			if strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online") {
				replica = time.Since(killed)
			}
		}
		if drained == 0 && p.finished() {
			s, err := q.Stats(ctx)
			if err == nil && s.PendingTotal()+s.Processing+s.Retry == 0 {
				drained = time.Since(killed)
			}
		}
		return replica > 0 && drained > 0
	})
	return replica, drained
}

// producer enqueues tasks one by one, every 5ms, across the failover; a task
// whose enqueue fails is resent (with its id: enqueue is idempotent) until it
// is acknowledged.
type producer struct {
	mu    sync.Mutex
	acked []string
	at    []time.Time // when each was acknowledged
	err   error
	done  chan struct{}
}

func startProducer(t *testing.T, q *queue.Queue, tasks []queue.NewTask) *producer {
	p := &producer{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); <-p.done }) // a failed test stops it
	go func() {
		defer close(p.done)
		deadline := time.Now().Add(40 * time.Second)
		for _, task := range tasks {
			for {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				id, _, err := q.Enqueue(cctx, task)
				cancel()
				if err == nil {
					p.mu.Lock()
					p.acked, p.at = append(p.acked, id), append(p.at, time.Now())
					p.mu.Unlock()
					break
				}
				if time.Now().After(deadline) || ctx.Err() != nil {
					p.err = errors.Join(p.err, fmt.Errorf("enqueue %s never acknowledged: %w", task.ID, err))
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return p
}

// finished reports whether every task was sent (or given up on).
func (p *producer) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// firstAckAfter is the time from t to the first acknowledgement after it
// (0 if none). Call after wait.
func (p *producer) firstAckAfter(t time.Time) time.Duration {
	for _, at := range p.at {
		if at.After(t) {
			return at.Sub(t)
		}
	}
	return 0
}

// wait returns the acknowledged ids once every task was sent, failing the test
// if some never were: the queue must keep working through a failover.
func (p *producer) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("producer still running after 60s")
	}
	if p.err != nil {
		t.Fatalf("producer: %v", p.err)
	}
	return p.acked
}
