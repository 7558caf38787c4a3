package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// A room of 30 students: 30 worker processes with their own ids join one Redis,
// each shows up with host and pid, and the work spreads over them.
func TestThirtyStudentsJoin(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "room")
	const n = 30
	procs := make([]*Proc, n)
	for i := range procs {
		procs[i] = Start(t, srv, dir, "worker", "--queue", "room", "--id", fmt.Sprintf("student-%02d", i+1), "--delay", "300ms")
	}
	var s queue.Stats
	eventually(t, 60*time.Second, func() bool {
		s, _ = q.Stats(context.Background())
		return len(s.Workers) == n
	})
	pids := map[int]bool{}
	for _, w := range s.Workers {
		if w.Host == "" || w.PID == 0 || w.State == queue.WorkerGone {
			t.Fatalf("worker %+v: missing host/pid or gone", w)
		}
		pids[w.PID] = true
	}
	if len(pids) != n {
		t.Fatalf("%d distinct pids, want %d", len(pids), n)
	}
	if out, code := Run(t, srv, dir, "enqueue", "--queue", "room", "--count", "60", "--size", "32x24"); code != 0 {
		t.Fatalf("enqueue: %s", out)
	}
	eventually(t, 90*time.Second, func() bool {
		s, _ = q.Stats(context.Background())
		return s.Totals.Completed == 60
	})
	busy := 0
	for _, w := range s.Workers {
		if w.Processed > 0 {
			busy++
		}
	}
	// 60 tasks of ≥300ms each over 30 idle workers: the work must spread, not
	// pile on a few (each worker claims only what it has room for).
	if busy < n/2 {
		t.Fatalf("only %d of %d workers got work", busy, n)
	}
	t.Logf("60 tasks spread over %d of %d student workers", busy, n)
	for _, p := range procs {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		if code := p.Wait(t, 30*time.Second); code != 0 {
			t.Fatalf("worker exit %d", code)
		}
	}
}

// A laptop that sleeps (SIGSTOP) is shown gone; its task is finished by someone
// else, and the events name both workers. When it wakes it rejoins, and its late
// result is refused.
func TestFrozenWorkerIsGoneAndItsTaskCompletesElsewhere(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "frozen")
	timeouts := []string{"--queue", "frozen", "--worker-timeout", "2s", "--lease", "1m"}
	sleepy := Start(t, srv, dir, append([]string{"worker", "--id", "sleepy", "--delay", "3s"}, timeouts...)...)
	eventually(t, 20*time.Second, func() bool {
		s, _ := q.Stats(context.Background())
		return len(s.Workers) == 1
	})
	out, code := Run(t, srv, dir, "enqueue", "--queue", "frozen", "--count", "1", "--size", "32x24")
	if code != 0 {
		t.Fatalf("enqueue: %s", out)
	}
	waitEvent(t, q, 20*time.Second, "claimed by sleepy", func(e queue.Event) bool {
		return e.Kind == queue.EventClaimed && e.Worker == "sleepy"
	})
	freeze(t, sleepy.Cmd.Process)
	Start(t, srv, dir, append([]string{"worker", "--id", "awake"}, timeouts...)...)
	gone := waitEvent(t, q, 20*time.Second, "worker_gone", func(e queue.Event) bool {
		return e.Kind == queue.EventWorkerGone && e.Worker == "sleepy"
	})
	t.Logf("gone: %s", gone.Error)
	claimed := waitEvent(t, q, 20*time.Second, "claimed by awake", func(e queue.Event) bool {
		return e.Kind == queue.EventClaimed && e.Worker == "awake"
	})
	if claimed.Prev != "sleepy" {
		t.Fatalf("the claim should name the worker it was recovered from: %+v", claimed)
	}
	done := waitEvent(t, q, 20*time.Second, "completed", func(e queue.Event) bool { return e.Kind == queue.EventCompleted })
	if done.Worker != "awake" {
		t.Fatalf("completed by %s", done.Worker)
	}
	s, _ := q.Stats(context.Background())
	for _, w := range s.Workers {
		if w.ID == "sleepy" && w.State != queue.WorkerGone {
			t.Fatalf("sleepy shown %s, want gone", w.State)
		}
	}
	// The laptop wakes: it finishes its (stale) task, which is refused, and rejoins.
	thaw(sleepy.Cmd.Process)
	waitEvent(t, q, 20*time.Second, "ack_refused", func(e queue.Event) bool {
		return e.Kind == queue.EventLeaseRefused && e.Worker == "sleepy"
	})
	info, _ := q.Task(context.Background(), done.Task)
	if info.Status != queue.StatusCompleted || info.Worker != "awake" {
		t.Fatalf("task after the late ack: %s by %s", info.Status, info.Worker)
	}
}
