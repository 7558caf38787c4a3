package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

// A worker whose heartbeat last said busy but that holds nothing any more (the
// queue drained between two beats) is shown idle, not busy on no task; while
// it holds a task, that task and its age are shown.
func TestBusyWorkerAlwaysNamesItsTask(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	w := register(t, q, "ana")
	enqueueN(t, q, 1, queue.Normal)
	c := claimOne(t, q, "ana")
	if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, []string{c.ID}); err != nil {
		t.Fatal(err)
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := findWorker(st, "ana"); got == nil || got.State != queue.WorkerBusy || got.Current != c.ID || got.CurrentName == "" {
		t.Fatalf("while holding %s: %+v", c.ID, got)
	}
	if err := q.Complete(ctx, "ana", c, nil, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	st, _ = q.Stats(ctx)
	if got := findWorker(st, "ana"); got == nil || got.State != queue.WorkerIdle || got.Current != "" || got.Active != 0 {
		t.Fatalf("after its only task completed (heartbeat still said busy): %+v", got)
	}
}

// A worker with two slots whose newest claim finished first still names the
// task it is working on once it beats: the heartbeat recounts its claims.
func TestHeartbeatNamesARemainingTask(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	w := register(t, q, "ana")
	enqueueN(t, q, 2, queue.Normal)
	cs, err := q.Claim(ctx, "ana", 2)
	if err != nil || len(cs) != 2 {
		t.Fatalf("claim: %v %v", cs, err)
	}
	// The newest claim (the worker hash's current) finishes first; the
	// worker listed both tasks before that ack landed.
	if err := q.Complete(ctx, "ana", cs[1], nil, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Heartbeat(ctx, w, queue.WorkerBusy, []string{cs[0].ID, cs[1].ID}); err != nil {
		t.Fatal(err)
	}
	st, _ := q.Stats(ctx)
	got := findWorker(st, "ana")
	if got == nil || got.State != queue.WorkerBusy || got.Current != cs[0].ID || got.Active != 1 {
		t.Fatalf("after the heartbeat: %+v, want busy on %s with 1 task", got, cs[0].ID)
	}
}

// A worker's counters say what they count: failed attempts, of which some
// were retried and some dead-lettered.
func TestWorkerCountsRetriedAndDead(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
	register(t, q, "ana")
	enqueueN(t, q, 2, queue.Normal)
	a := claimOne(t, q, "ana")
	if err := q.Fail(ctx, "ana", a, errors.New("boom"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	b := claimOne(t, q, "ana")
	if err := q.Fail(ctx, "ana", b, queue.Permanent(errors.New("no such file")), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	st, _ := q.Stats(ctx)
	got := findWorker(st, "ana")
	if got == nil || got.Failed != 2 || got.Retried != 1 || got.Dead != 1 {
		t.Fatalf("counters %+v, want failed 2, retried 1, dead 1", got)
	}
}

// A course worker that finished the task the observer last saw and took
// another before the observer's next pass is shown busy on the new one: the
// stats call reads its claim itself.
func TestObservedWorkerShowsItsNewestClaim(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: queue.DefaultName})
	enqueueN2(t, q, 3)
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	first := courseGet(t, rdb, queue.DefaultName, "py-1")
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	courseDone(rdb, queue.DefaultName, first, "py-1")
	next := courseGet(t, rdb, queue.DefaultName, "py-1")
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := findWorker(st, "py-1")
	if got == nil || got.State != queue.WorkerBusy || got.Current != next || got.CurrentName == "" {
		t.Fatalf("observed worker %+v, want busy on %s (not the finished %s)", got, next, first)
	}
}
