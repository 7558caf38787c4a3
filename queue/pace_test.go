package queue_test

import (
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

// The teaching pace reaches every worker with its heartbeat, as the failure
// rate does, and reads as off once the dashboard that set it turns it off.
func TestPaceIsShared(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	w := register(t, q, "w")
	if sh, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || sh.Pace != 0 {
		t.Fatalf("pace before any was set: %v, err %v", sh.Pace, err)
	}
	if err := q.SetPace(ctx, 600*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if sh, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || sh.Pace != 600*time.Millisecond {
		t.Fatalf("heartbeat pace %v, err %v", sh.Pace, err)
	}
	if s, _ := q.Stats(ctx); s.Pace != 600*time.Millisecond {
		t.Fatalf("stats pace %v", s.Pace)
	}
	if err := q.SetPace(ctx, time.Minute); err == nil {
		t.Fatal("a pace of a minute was accepted")
	}
	if err := q.SetPace(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if sh, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || sh.Pace != 0 {
		t.Fatalf("pace after it was turned off: %v, err %v", sh.Pace, err)
	}
}

// A pause set through Redis reaches every worker with its heartbeat.
func TestPauseIsShared(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	w := register(t, q, "w")
	if err := q.SetPaused(ctx, true); err != nil {
		t.Fatal(err)
	}
	if sh, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || !sh.Paused {
		t.Fatalf("heartbeat paused %v, err %v", sh.Paused, err)
	}
	if s, _ := q.Stats(ctx); !s.Paused {
		t.Fatal("stats do not show the pause")
	}
	if err := q.SetPaused(ctx, false); err != nil {
		t.Fatal(err)
	}
	if sh, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || sh.Paused {
		t.Fatalf("heartbeat paused %v after resume, err %v", sh.Paused, err)
	}
}
