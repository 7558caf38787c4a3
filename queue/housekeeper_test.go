package queue_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imgq/imgq/queue"
)

// With nothing but a Housekeeper running, a task whose worker stopped
// heartbeating comes back, each time its lease lapses; Stop leaves no goroutine.
func TestHousekeeperRecoversLapsedLeases(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Lease: 200 * time.Millisecond})
	ctx := context.Background()
	enqueueN(t, q, 1, queue.Normal)
	first := claimOne(t, q, "w1") // w1 dies holding it
	leaks := goleak.IgnoreCurrent()

	hk := queue.NewHousekeeper(q, queue.HousekeepPeriod(100*time.Millisecond), func(err error) {
		t.Errorf("housekeeping: %v", err)
	})
	hk.Start(ctx)
	// Periodically: recovered from w1, then again from w2, which dies too.
	for _, next := range []string{"w2", "w3"} {
		got := claimWhenBack(t, q, next)
		if got.ID != first.ID {
			t.Fatalf("%s claimed %s, want the recovered %s", next, got.ID, first.ID)
		}
	}
	hk.Stop()
	hk.Stop() // a second Stop is harmless
	goleak.VerifyNone(t, leaks)
}

// claimWhenBack claims for worker until a task comes back (5 s at most).
func claimWhenBack(t *testing.T, q *queue.Queue, worker string) queue.Claimed {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got, err := q.Claim(context.Background(), worker, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			return got[0]
		}
	}
	t.Fatalf("no task came back for %s within 5 s", worker)
	return queue.Claimed{}
}

// The goroutine ends with Start's context as well as with Stop; Stop before
// Start, or a Start after Stop, starts nothing.
func TestHousekeeperStops(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	leaks := goleak.IgnoreCurrent()

	ctx, cancel := context.WithCancel(context.Background())
	hk := queue.NewHousekeeper(q, time.Millisecond, nil)
	hk.Start(ctx)
	hk.Start(ctx) // a second Start does nothing
	time.Sleep(20 * time.Millisecond)
	cancel()
	hk.Stop()
	goleak.VerifyNone(t, leaks)

	never := queue.NewHousekeeper(q, time.Millisecond, nil)
	never.Stop()
	never.Start(context.Background())
	goleak.VerifyNone(t, leaks)

	// Once runs one pass in the caller's goroutine, and takes the lock.
	m, ran, err := queue.NewHousekeeper(q, time.Second, nil).Once(context.Background())
	if err != nil || !ran {
		t.Fatalf("Once: ran %v, err %v (%+v)", ran, err, m)
	}
	if _, ran, _ := queue.NewHousekeeper(q, time.Second, nil).Once(context.Background()); ran {
		t.Error("a second process ran within the first one's period")
	}
}
