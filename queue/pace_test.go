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

// A quitting dashboard turns off the switches it set, read from Redis at that
// moment (not from its last refresh), and leaves alone what another dashboard
// set since.
func TestClearSharedTurnsOffOnlyWhatStillHoldsMine(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(q.SetPace(ctx, 250*time.Millisecond))
	must(q.SetFailRate(ctx, 0.2))
	must(q.SetPaused(ctx, true))
	// This dashboard set pace 250ms and pause; fail 0.2 is another's (it set 0.3 before).
	must(q.ClearShared(ctx, queue.Shared{Pace: 250 * time.Millisecond, FailRate: 0.3, Paused: true}))
	s, err := q.Stats(ctx)
	must(err)
	if s.Pace != 0 || s.Paused || s.FailRate != 0.2 {
		t.Fatalf("after clear: pace %v paused %v fail %v; want off, off, 0.2 (another's)", s.Pace, s.Paused, s.FailRate)
	}
	// Another dashboard changed the pace since: this one's 250ms is not there to clear.
	must(q.SetPace(ctx, 500*time.Millisecond))
	must(q.ClearShared(ctx, queue.Shared{Pace: 250 * time.Millisecond, FailRate: 0.2}))
	if s, _ = q.Stats(ctx); s.Pace != 500*time.Millisecond || s.FailRate != 0 {
		t.Fatalf("after the second clear: pace %v fail %v; want 500ms, 0", s.Pace, s.FailRate)
	}
}
