package queue_test

import (
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

// A task's own time limit travels in its record (timeout_ms) and comes back
// with the claim, by Claim and by the claim that rides on an ack alike.
func TestTaskTimeoutTravelsWithTheClaim(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ts := []queue.NewTask{
		{ID: "task-limited", Payload: []byte(`{}`), Timeout: 30 * time.Second},
		{ID: "task-default", Payload: []byte(`{}`)},
	}
	if _, err := q.EnqueueBatch(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if got := rdb.HGet(ctx, "task:task-limited", "timeout_ms").Val(); got != "30000" {
		t.Fatalf("timeout_ms = %q, want 30000", got)
	}
	if n := rdb.HExists(ctx, "task:task-default", "timeout_ms").Val(); n {
		t.Fatal("a task without its own limit got a timeout_ms field")
	}
	a := claimOne(t, q, "w")
	if a.ID != "task-limited" || a.Timeout != 30*time.Second {
		t.Fatalf("first claim: %s timeout %s, want task-limited 30s", a.ID, a.Timeout)
	}
	// The second claim rides on the first one's acknowledgement.
	_, got, err := q.FinishClaim(ctx, []queue.Outcome{{Worker: "w", Task: a, Result: []byte("ok")}}, "w", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("finish+claim: %v, %d tasks", err, len(got))
	}
	if got[0].ID != "task-default" || got[0].Timeout != 0 {
		t.Fatalf("second claim: %s timeout %s, want task-default 0", got[0].ID, got[0].Timeout)
	}
	if _, _, err := q.Enqueue(ctx, queue.NewTask{Payload: []byte(`{}`), Timeout: -time.Second}); err == nil {
		t.Fatal("a negative timeout was accepted")
	}
}
