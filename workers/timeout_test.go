package workers_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// runWorker runs w until the returned stop is called; stop cancels it and
// returns how long Run took to return (failing the test after limit).
func runWorker(t *testing.T, w *workers.Worker, limit time.Duration) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(limit):
				t.Fatalf("Run still running %s after its stop", limit)
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func enqueue(t *testing.T, q *queue.Queue, task queue.NewTask) string {
	t.Helper()
	if task.Payload == nil {
		task.Payload = []byte(`{}`)
	}
	id, _, err := q.Enqueue(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func task(t *testing.T, q *queue.Queue, id string) queue.TaskInfo {
	t.Helper()
	ti, err := q.Task(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ti
}

// stuckHandler ignores its context until the test ends, as a handler blocked
// in a read of a FIFO does.
func stuckHandler(t *testing.T) (workers.Handler, <-chan string) {
	release := make(chan struct{})
	started := make(chan string, 16)
	t.Cleanup(func() { close(release) })
	return func(ctx context.Context, c queue.Claimed) ([]byte, error) {
		started <- c.ID
		<-release
		return []byte("late"), nil
	}, started
}

// A handler that never returns cannot keep a stopping worker: Run returns
// within grace + StopWait, the task is handed back (no attempt used) and the
// handler's late result is dropped.
func TestStopAbandonsAHandlerThatIgnoresItsContext(t *testing.T) {
	q := newQueue(t, queue.Options{})
	h, started := stuckHandler(t)
	id := enqueue(t, q, queue.NewTask{Name: "stuck"})
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: h, Grace: time.Second, StopWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w, 10*time.Second)
	<-started
	took := stop()
	t.Logf("Run returned %s after its stop (grace 1s, stop wait 0.5s)", took.Round(time.Millisecond))
	// Without the abandon path Run never returns; the bound only has to tell
	// "stops" from "hangs" on a loaded CI machine (the figure is logged above).
	if took > 8*time.Second {
		t.Fatalf("Run took %s to stop, want it to stop (grace 1s + stop wait 0.5s)", took)
	}
	ti := task(t, q, id)
	if ti.Status != queue.StatusPending {
		t.Fatalf("task is %s, want pending (handed back)", ti.Status)
	}
	s := waitStats(t, q, "the task back in pending", func(s queue.Stats) bool { return s.Pending == 1 && s.Processing == 0 })
	if s.Totals.Completed != 0 || s.Totals.Failed != 0 {
		t.Fatalf("stats %+v: the abandoned handler's result was recorded", s.Totals)
	}
}

// A task over its time limit is cancelled inside the filters, counts as a
// failed attempt, and is dead-lettered after the last with the limit in its
// error; each attempt ends shortly after the limit.
func TestRunawayFilterChainTimesOutAndDeadLetters(t *testing.T) {
	q := newQueue(t, queue.Options{MaxAttempts: 2, BackoffBase: 10 * time.Millisecond})
	h, _ := imageHandler(t, q)
	spec := pipeline.MustParse("resize:4000x4000" + strings.Repeat(",blur:50,sharpen:50", 5) + ",edges")
	nt, err := workers.SampleTask(spec, 16, 16, 1, "runaway")
	if err != nil {
		t.Fatal(err)
	}
	id := enqueue(t, q, nt)
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: h.Handle, TaskTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	runWorker(t, w, 10*time.Second)
	waitStats(t, q, "the dead letter", func(s queue.Stats) bool { return s.Failed == 1 })
	took := time.Since(start)
	ti := task(t, q, id)
	t.Logf("2 attempts with a 1s limit dead-lettered after %s: %q", took.Round(time.Millisecond), ti.Error)
	if ti.Attempts != 2 || !strings.Contains(ti.Error, "task timed out after 1s") {
		t.Fatalf("attempts %d, error %q; want 2 and \"task timed out after 1s\"", ti.Attempts, ti.Error)
	}
	// Uncancelled, this chain runs for minutes; the bound tells "cancelled at
	// the limit" from "ran to the end" even on a loaded machine (logged above).
	if took > 20*time.Second {
		t.Fatalf("2 attempts took %s: the filters did not stop at the 1s limit", took)
	}
}

// A task's own limit overrides the worker's, shorter or longer.
func TestPerTaskTimeoutOverridesTheWorkers(t *testing.T) {
	q := newQueue(t, queue.Options{MaxAttempts: 1})
	waits := func(ctx context.Context, c queue.Claimed) ([]byte, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(600 * time.Millisecond):
			return []byte("ok"), nil
		}
	}
	short := enqueue(t, q, queue.NewTask{Name: "short", Timeout: 200 * time.Millisecond})
	long := enqueue(t, q, queue.NewTask{Name: "long", Timeout: 5 * time.Second})
	plain := enqueue(t, q, queue.NewTask{Name: "plain"})
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: waits, Concurrency: 3, TaskTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w, 10*time.Second)
	waitStats(t, q, "all three finished", func(s queue.Stats) bool { return s.Totals.Completed+s.Totals.Failed == 3 })
	for id, want := range map[string]string{short: "task timed out after 200ms", long: "", plain: "task timed out after 300ms"} {
		ti := task(t, q, id)
		if want == "" && ti.Status != queue.StatusCompleted || want != "" && ti.Error != want {
			t.Errorf("%s: %s %q, want %q", ti.Name, ti.Status, ti.Error, want)
		}
	}
}

// A worker that cannot stop a task over its limit stops extending its lease,
// so the lease lapses and the task is recovered for another worker.
func TestAStuckTaskIsNoLongerHeartbeated(t *testing.T) {
	q := newQueue(t, queue.Options{Lease: time.Second, MaxAttempts: 5})
	h, started := stuckHandler(t)
	id := enqueue(t, q, queue.NewTask{Name: "stuck"})
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: h, Heartbeat: 200 * time.Millisecond,
		TaskTimeout: 300 * time.Millisecond, StopWait: 200 * time.Millisecond, Grace: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w, 10*time.Second)
	<-started
	start := time.Now()
	// Its one slot still taken by the stuck handler, this worker claims no
	// more: the recovered task waits in pending for another worker.
	waitStats(t, q, "the lapsed lease recovered", func(s queue.Stats) bool { return s.Totals.Recovered >= 1 })
	t.Logf("recovered %s after the claim (limit 0.3s + stop wait 0.2s + lease 1s)", time.Since(start).Round(time.Millisecond))
	if ti := task(t, q, id); ti.Status != queue.StatusPending {
		t.Fatalf("task is %s, want pending", ti.Status)
	}
}

// A stuck task whose lease lapsed may come back to the same worker (another
// slot is free): both runs are then in flight, and a stop still ends both.
func TestAStuckTaskClaimedAgainBySameWorker(t *testing.T) {
	q := newQueue(t, queue.Options{Lease: time.Second, MaxAttempts: 5})
	h, started := stuckHandler(t)
	id := enqueue(t, q, queue.NewTask{Name: "stuck"})
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: h, Concurrency: 2, Heartbeat: 200 * time.Millisecond,
		TaskTimeout: 300 * time.Millisecond, StopWait: 200 * time.Millisecond, Grace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w, 10*time.Second)
	for range 2 {
		if got := <-started; got != id {
			t.Fatalf("started %s, want %s", got, id)
		}
	}
	took := stop()
	t.Logf("two stuck runs of one task: Run returned %s after its stop", took.Round(time.Millisecond))
	if took > 8*time.Second {
		t.Fatalf("Run took %s to stop", took)
	}
	ti := task(t, q, id)
	if ti.Status != queue.StatusPending && ti.Status != queue.StatusProcessing {
		t.Fatalf("task %s after the stop, want pending (or processing until its lease lapses)", ti.Status)
	}
}
