package workers_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// Issue 12: a Redis outage does not use up an attempt of the tasks in flight. A
// handler that needs Redis (the image handler reads its input blob from it)
// fails with a connection error while Redis is down; once Redis is back the
// task is handed back (attempt not counted) and runs again: it completes with
// one attempt used and no retry or failure recorded.
func TestRedisOutageUsesNoAttempt(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	q, err := queue.New(srv.Client(t), queue.Options{Name: "outage", MaxAttempts: 2, BackoffBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _, err := q.Enqueue(ctx, queue.NewTask{Name: "in-flight", Payload: []byte(`{}`), Blob: []byte("input")})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 4)
	down := make(chan struct{})
	var runs atomic.Int32
	handler := func(ctx context.Context, task queue.Claimed) ([]byte, error) {
		if runs.Add(1) == 1 {
			started <- struct{}{}
			<-down // Redis is down now: reading the input fails
		}
		if _, err := q.Blob(ctx, task.ID); err != nil {
			return nil, err
		}
		return []byte(`{}`), nil
	}
	w, err := workers.New(q, workers.Config{ID: "w1", Concurrency: 1, Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { cancel(); <-done }()

	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the task was not claimed")
	}
	srv.Kill()
	close(down)
	time.Sleep(5 * time.Second) // the handler fails; the ack path meets a dead Redis
	srv.Restart()

	s := waitStats(t, q, "the task completed", func(s queue.Stats) bool { return s.Totals.Completed == 1 })
	info, err := q.Task(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != queue.StatusCompleted || info.Attempts != 1 || s.Failed != 0 {
		t.Fatalf("after a Redis outage: status %s, attempts %d (want 1: the outage used none), dead letters %d; error %q",
			info.Status, info.Attempts, s.Failed, info.Error)
	}
	t.Logf("Redis down 5 s while the task was in flight: ran %d times, completed with %d attempt used, 0 failed attempts", runs.Load(), info.Attempts)
}
