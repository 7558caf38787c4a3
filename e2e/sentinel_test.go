package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// failoverFigures is what one failover measured.
type failoverFigures struct {
	durable bool
	acked   int // enqueues acknowledged to the producer
	// after the kill: Sentinel named the replica; a task completed again; none left
	switched, resumed, drained   time.Duration
	completed, dead, lost, twice int
}

func (f failoverFigures) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("durable=%-5v acked=%d master switched after %s, work resumed after %s, queue drained after %s; completed %d, dead-lettered %d, lost %d, run twice %d",
		f.durable, f.acked, r(f.switched), r(f.resumed), r(f.drained), f.completed, f.dead, f.lost, f.twice)
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
	eventuallyFor(t, 30*time.Second, "150 tasks completed", func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.Totals.Completed >= 150
	})
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

	acked = append(acked, p.wait(t)...)
	f.acked = len(acked)
	eventuallyFor(t, 40*time.Second, "the queue to drain", func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.PendingTotal()+s.Processing+s.Retry == 0
	})
	f.drained = time.Since(killed)
	runs := runsPerTask(w1.Output(), w2.Output())
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

// producer enqueues tasks one by one, every 5ms, across the failover; a task
// whose enqueue fails is resent (with its id: enqueue is idempotent) until it
// is acknowledged.
type producer struct {
	mu    sync.Mutex
	acked []string
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
					p.acked = append(p.acked, id)
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
