package workers_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// The observer hooks see every claim and every recorded outcome, once each.
func TestOnClaimAndOnOutcome(t *testing.T) {
	q := newQueue(t, queue.Options{})
	ctx := context.Background()
	const n = 6
	for i := range n {
		if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: fmt.Sprintf("task-%d", i), Payload: []byte("{}"), MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claims := map[string]queue.Claimed{}
	outcomes := map[string]queue.Outcome{}
	handler := func(_ context.Context, c queue.Claimed) ([]byte, error) {
		if c.ID == "task-0" {
			return nil, queue.Permanent(errors.New("bad"))
		}
		return []byte("{}"), nil
	}
	w, err := workers.New(q, workers.Config{ID: "w", Concurrency: 3, Handler: handler,
		OnClaim: func(c queue.Claimed) { mu.Lock(); claims[c.ID] = c; mu.Unlock() },
		OnOutcome: func(o queue.Outcome) {
			mu.Lock()
			defer mu.Unlock()
			if _, dup := outcomes[o.Task.ID]; dup {
				t.Errorf("outcome of %s seen twice", o.Task.ID)
			}
			outcomes[o.Task.ID] = o
		}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	waitStats(t, q, "all finished", func(s queue.Stats) bool { return s.Totals.Completed == n-1 && s.Totals.Failed == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(claims) != n || len(outcomes) != n {
		t.Fatalf("saw %d claims and %d outcomes, want %d each", len(claims), len(outcomes), n)
	}
	for id, c := range claims {
		if c.CreatedAt.IsZero() || c.ClaimedAt.Before(c.CreatedAt.Add(-time.Second)) {
			t.Errorf("%s: created %v, claimed %v", id, c.CreatedAt, c.ClaimedAt)
		}
	}
	if outcomes["task-0"].Err == nil || outcomes["task-1"].Err != nil {
		t.Errorf("outcomes: task-0 err %v, task-1 err %v", outcomes["task-0"].Err, outcomes["task-1"].Err)
	}
}
