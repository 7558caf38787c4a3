package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// A worker process SIGKILLed mid-task loses nothing: its task returns to pending
// when the lease lapses and another worker process completes it.
func TestSIGKILLedWorkerTaskIsCompletedByAnother(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "crash")
	out, code := Run(t, srv, dir, "enqueue", "--queue", "crash", "--count", "1", "--size", "64x48")
	if code != 0 {
		t.Fatalf("enqueue exit %d: %s", code, out)
	}
	id := strings.Fields(out)[0]

	a := Start(t, srv, dir, "worker", "--queue", "crash", "--id", "victim", "--delay", "30s", "--lease", "2s")
	waitEvent(t, q, 20*time.Second, "claimed by victim", func(e queue.Event) bool {
		return e.Kind == queue.EventClaimed && e.Task == id && e.Worker == "victim"
	})
	a.Kill()
	killedAt := time.Now()

	Start(t, srv, dir, "worker", "--queue", "crash", "--id", "rescuer", "--lease", "2s")
	done := waitEvent(t, q, 30*time.Second, "completed by rescuer", func(e queue.Event) bool {
		return e.Kind == queue.EventCompleted && e.Task == id
	})
	if done.Worker != "rescuer" {
		t.Fatalf("completed by %q, want rescuer", done.Worker)
	}
	t.Logf("task %s restarted and completed %s after the SIGKILL (lease 2s)", id, time.Since(killedAt).Round(time.Millisecond))
	rec := waitEvent(t, q, time.Second, "recovered", func(e queue.Event) bool { return e.Kind == queue.EventRecovered })
	if rec.Prev != "victim" {
		t.Fatalf("recovered event names %q, want victim", rec.Prev)
	}
	info, err := q.Task(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != queue.StatusCompleted || info.Attempts != 2 {
		t.Fatalf("task after rescue: status %s attempts %d", info.Status, info.Attempts)
	}
	var r workers.Result
	if err := json.Unmarshal(info.Result, &r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, r.Output)); err != nil {
		t.Fatalf("output file: %v", err)
	}
}

// SIGTERM with tasks in flight: they finish (or go back to pending) and the
// process exits 0.
func TestSIGTERMFinishesInFlightAndExitsZero(t *testing.T) {
	s, _ := stopWithFourInFlight(t, "term", "1s", "10s", os.Interrupt)
	if s.Totals.Completed+s.PendingTotal() != 4 || s.Processing != 0 {
		t.Fatalf("after SIGTERM: completed %d pending %d processing %d", s.Totals.Completed, s.PendingTotal(), s.Processing)
	}
	if s.Totals.Completed != 4 {
		t.Fatalf("with a 10s grace all 4 one-second tasks should finish; completed %d", s.Totals.Completed)
	}
}

// stopWithFourInFlight starts a worker with 4 slots whose tasks take delay,
// waits until it holds 4 tasks, sends sig, checks it exits 0 within 30s, and
// returns the queue's stats after.
func stopWithFourInFlight(t *testing.T, name, delay, grace string, sig os.Signal) (queue.Stats, *queue.Queue) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, name)
	if out, code := Run(t, srv, dir, "enqueue", "--queue", name, "--count", "4", "--size", "64x48"); code != 0 {
		t.Fatalf("enqueue: %s", out)
	}
	w := Start(t, srv, dir, "worker", "--queue", name, "--id", "w", "--concurrency", "4", "--delay", delay, "--grace", grace)
	eventually(t, 20*time.Second, func() bool {
		s, _ := q.Stats(context.Background())
		return s.Processing == 4
	})
	_ = w.Cmd.Process.Signal(sig)
	if code := w.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("worker exit code %d, want 0:\n%s", code, w.Output())
	}
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, q
}

func eventually(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SIGTERM with a short grace: unfinished tasks go back to pending at once (not
// after a lease), without using an attempt, and the process exits 0.
func TestSIGTERMHandsBackWhatCannotFinish(t *testing.T) {
	s, q := stopWithFourInFlight(t, "handback", "1m", "300ms", syscall.SIGTERM)
	if s.Pending != 4 || s.Processing != 0 || s.Totals.Completed != 0 {
		t.Fatalf("after SIGTERM: pending %d processing %d completed %d", s.Pending, s.Processing, s.Totals.Completed)
	}
	ids, _ := q.Client().LRange(context.Background(), "handback:pending", 0, -1).Result()
	for _, id := range ids {
		info, _ := q.Task(context.Background(), id)
		if info.Attempts != 0 || info.Status != queue.StatusPending {
			t.Fatalf("handed-back task %s: status %s attempts %d", id, info.Status, info.Attempts)
		}
	}
}
