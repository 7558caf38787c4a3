package queue

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Housekeeper offers to run the queue's housekeeping (Housekeep: declare silent
// workers gone, recover lapsed leases, forward due retries, observe course
// workers) every period, from one goroutine it owns. Every worker runs one, and
// so does the dashboard, with or without embedded workers, so a room whose
// workers all died still sees its tasks come back. The lock in Housekeep makes
// one process per period do the work, however many offer.
//
// The period is half a heartbeat (HousekeepPeriod), so a lapsed lease is noticed
// within half a heartbeat: a dead worker's task restarts within lease +
// heartbeat/2, not lease + heartbeat.
//
// Start it once; Stop (or the end of Start's context) ends the goroutine, and
// Stop returns only when it has ended.
type Housekeeper struct {
	q       *Queue
	period  time.Duration
	onError func(error)

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// HousekeepPeriod is the housekeeping period for a heartbeat period: half of it.
func HousekeepPeriod(heartbeat time.Duration) time.Duration {
	return max(heartbeat/2, time.Millisecond)
}

// NewHousekeeper returns a housekeeper for q that offers to run every period
// (at least 1 ms). onError, if not nil, is told of each pass that failed (from
// the housekeeper's goroutine); the next pass tries again.
func NewHousekeeper(q *Queue, period time.Duration, onError func(error)) *Housekeeper {
	return &Housekeeper{q: q, period: max(period, time.Millisecond), onError: onError}
}

// Once runs one pass now, in the caller's goroutine: Housekeep with a lock
// held for nine tenths of the period, so the next period's offer finds it
// free. It reports what the pass did and whether this process did it.
func (h *Housekeeper) Once(ctx context.Context) (Maintenance, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, ran, err := h.q.Housekeep(ctx, h.period*9/10)
	if err != nil {
		return m, ran, fmt.Errorf("housekeeping %s: %w", h.q.Name(), err)
	}
	return m, ran, nil
}

// Start starts the goroutine: a pass every period until ctx ends or Stop is
// called. The first pass comes one period after Start (call Once first for
// one straight away). A second Start does nothing.
func (h *Housekeeper) Start(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started {
		return
	}
	h.started = true
	ctx, h.cancel = context.WithCancel(ctx)
	h.wg.Go(func() { h.loop(ctx) })
}

// Stop ends the goroutine and waits for it (a pass under way is cancelled).
// It may be called more than once, and before or without Start; a Start after
// it does nothing.
func (h *Housekeeper) Stop() {
	h.mu.Lock()
	h.started = true // a Start after Stop does nothing
	cancel := h.cancel
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	h.wg.Wait()
}

func (h *Housekeeper) loop(ctx context.Context) {
	t := time.NewTicker(h.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, _, err := h.Once(ctx); err != nil && ctx.Err() == nil && h.onError != nil {
			h.onError(err)
		}
	}
}
