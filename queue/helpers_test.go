package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// newQueue starts a real redis-server for the test and returns a queue on it.
func newQueue(t *testing.T, o queue.Options) (*queue.Queue, *redis.Client, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	if o.Name == "" {
		o.Name = "t"
	}
	q, err := queue.New(rdb, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.LoadScripts(context.Background()); err != nil {
		t.Fatal(err)
	}
	return q, rdb, srv
}

func enqueueN(t *testing.T, q *queue.Queue, n int, p queue.Priority) []string {
	t.Helper()
	ts := make([]queue.NewTask, n)
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprintf("%s-%d", p, i), Priority: p, Payload: []byte(`{}`)}
	}
	ids, err := q.EnqueueBatch(context.Background(), ts)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func claimOne(t *testing.T, q *queue.Queue, worker string) queue.Claimed {
	t.Helper()
	got, err := q.Claim(context.Background(), worker, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("claim: got %d tasks, want 1", len(got))
	}
	return got[0]
}

func register(t *testing.T, q *queue.Queue, id string) queue.WorkerInfo {
	t.Helper()
	w := queue.WorkerInfo{ID: id, Instance: id + "-inst", Host: "h", PID: 1, Concurrency: 1}
	if err := q.Register(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func eventsOfKind(t *testing.T, q *queue.Queue, kind string) []queue.Event {
	t.Helper()
	evs, err := q.LastEvents(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
