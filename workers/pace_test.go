package workers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

func enqueueNamed(t *testing.T, q *queue.Queue, tasks ...queue.NewTask) []string {
	t.Helper()
	ids, err := q.EnqueueBatch(context.Background(), tasks)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// A worker with a teaching pace takes at least that long over each task, from
// its claim to its outcome, by the record's own (Redis) times, however quick
// its handler is.
func TestPaceIsHonoured(t *testing.T) {
	q := newQueue(t, queue.Options{})
	const pace = 300 * time.Millisecond
	if err := q.SetPace(context.Background(), pace); err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(q, workers.Config{ID: "w1", Concurrency: 2,
		Handler: func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ids := enqueueNamed(t, q, queue.NewTask{Name: "a"}, queue.NewTask{Name: "b"}, queue.NewTask{Name: "c"}, queue.NewTask{Name: "d"})
	runWorker(t, w, 30*time.Second)
	waitStats(t, q, "4 completed", func(s queue.Stats) bool { return s.Totals.Completed == 4 })
	if w.Pace() != pace {
		t.Fatalf("worker read pace %s, want %s", w.Pace(), pace)
	}
	for _, id := range ids {
		info, err := q.Task(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if took := info.FinishedAt.Sub(info.StartedAt); info.Status != queue.StatusCompleted || took < pace {
			t.Fatalf("task %s: %s after %s, want completed after at least %s", id, info.Status, took, pace)
		}
	}
}

// The pace never changes an outcome: a task whose time limit is shorter than
// the pace completes (not timed out), and a failure keeps its own error.
func TestPaceStopsAtTheTimeLimitWithoutChangingTheOutcome(t *testing.T) {
	q := newQueue(t, queue.Options{})
	if err := q.SetPace(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(q, workers.Config{ID: "w1", Concurrency: 2,
		Handler: func(_ context.Context, c queue.Claimed) ([]byte, error) {
			if c.Name == "bad" {
				return nil, queue.Permanent(errors.New("bad input"))
			}
			return nil, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	limit := 200 * time.Millisecond
	ids := enqueueNamed(t, q, queue.NewTask{Name: "good", Timeout: limit}, queue.NewTask{Name: "bad", Timeout: limit})
	runWorker(t, w, 30*time.Second)
	waitStats(t, q, "both finished", func(s queue.Stats) bool { return s.Totals.Completed == 1 && s.Totals.Failed == 1 })
	good, err := q.Task(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if good.Status != queue.StatusCompleted || good.Attempts != 1 {
		t.Fatalf("good task: %s after %d attempt(s) (%s)", good.Status, good.Attempts, good.Error)
	}
	bad, err := q.Task(context.Background(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bad.Error, "bad input") {
		t.Fatalf("bad task's error %q, want its own", bad.Error)
	}
}

// A pause set for the whole queue through Redis holds a worker from its first
// heartbeat (before its first claim) until it is lifted.
func TestQueuePauseHoldsClaims(t *testing.T) {
	q := newQueue(t, queue.Options{})
	ctx := context.Background()
	if err := q.SetPaused(ctx, true); err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(q, workers.Config{ID: "w1", Heartbeat: 100 * time.Millisecond,
		Handler: func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	enqueueNamed(t, q, queue.NewTask{Name: "a"}, queue.NewTask{Name: "b"})
	runWorker(t, w, 30*time.Second)
	s := waitStats(t, q, "the worker paused", func(s queue.Stats) bool {
		return len(s.Workers) == 1 && s.Workers[0].State == queue.WorkerPaused
	})
	if s.Totals.Claimed != 0 {
		t.Fatalf("a worker paused through Redis claimed %d tasks", s.Totals.Claimed)
	}
	if err := q.SetPaused(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitStats(t, q, "2 completed after the pause was lifted", func(s queue.Stats) bool { return s.Totals.Completed == 2 })
}
