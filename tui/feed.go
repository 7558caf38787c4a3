package tui

import (
	"context"
	"errors"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
)

// Feed is the one refresh of a dashboard run: a poller that reads the stats
// every interval and follows the event stream, and hands the same snapshots to
// every model subscribed to it (the teacher's and each SSH viewer's). Thirty
// viewers then cost Redis what one dashboard costs: one stats script per
// interval and one blocking XREAD.
//
// Start and Stop bound its two goroutines; a model reads it through a tea.Cmd
// that waits on its subscription (waitFeed), so nothing of the feed blocks on
// a slow viewer: a subscriber that falls behind gets the newest stats and
// every event it missed, up to events.Keep.
type Feed struct {
	q        *queue.Queue
	interval time.Duration

	mu      sync.Mutex
	subs    map[*subscription]struct{}
	last    *statsMsg     // the newest stats, for a model that subscribes later
	history []queue.Event // the newest historyEvents events, for the same
	stopped bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// subscription is one model's mailbox: the newest stats and the events it has
// not taken yet, with a wake-up token (capacity 1) that says there is news.
type subscription struct {
	wake   chan struct{}
	stats  *statsMsg
	events []queue.Event
	closed bool
}

// feedMsg is what a model takes from its subscription in one go.
type feedMsg struct {
	sub    *subscription
	stats  *statsMsg
	events []queue.Event
	closed bool // the feed stopped: no more snapshots
}

// maxPending bounds the events waiting for one slow subscriber: a model keeps
// no more than that many anyway.
const maxPending = 1000

// NewFeed returns a feed of q refreshed every interval (250ms when <= 0). It
// does nothing until Start.
func NewFeed(q *queue.Queue, interval time.Duration) *Feed {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	return &Feed{q: q, interval: interval, subs: map[*subscription]struct{}{}}
}

// Start runs the poller until ctx ends or Stop.
func (f *Feed) Start(ctx context.Context) {
	ctx, f.cancel = context.WithCancel(ctx)
	f.wg.Add(2)
	go func() { defer f.wg.Done(); f.pollStats(ctx) }()
	go func() { defer f.wg.Done(); f.followEvents(ctx) }()
}

// Stop ends the poller, waits for its goroutines, and tells every subscriber
// that no more snapshots come. Safe to call more than once.
func (f *Feed) Stop() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for s := range f.subs {
		s.closed = true
		s.signal()
	}
}

// subscribe registers a model; it starts with the newest stats and the recent
// events, so a viewer who joins late sees what the teacher sees.
func (f *Feed) subscribe() *subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &subscription{wake: make(chan struct{}, 1), closed: f.stopped}
	s.stats = f.last
	s.events = append([]queue.Event(nil), f.history...)
	f.subs[s] = struct{}{}
	s.signal()
	return s
}

// unsubscribe forgets a model (its session ended).
func (f *Feed) unsubscribe(s *subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, s)
}

// Subscribers is how many models the feed serves now.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (s *subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default: // already woken: the model takes everything at once
	}
}

// take empties the mailbox.
func (f *Feed) take(s *subscription) feedMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	msg := feedMsg{sub: s, stats: s.stats, events: s.events, closed: s.closed}
	s.stats, s.events = nil, nil
	return msg
}

func (f *Feed) publishStats(msg statsMsg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = &msg
	for s := range f.subs {
		s.stats = &msg
		s.signal()
	}
}

func (f *Feed) publishEvents(evs []queue.Event) {
	if len(evs) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.history = keepLast(append(f.history, evs...), historyEvents)
	for s := range f.subs {
		s.events = keepLast(append(s.events, evs...), maxPending)
		s.signal()
	}
}

func keepLast(evs []queue.Event, n int) []queue.Event {
	if len(evs) <= n {
		return evs
	}
	return append([]queue.Event(nil), evs[len(evs)-n:]...)
}

// pollStats is the stats refresh, paced as a lone dashboard paced itself: the
// interval when Redis answers, a doubling backoff up to maxBackoff when it does
// not, and at most once a second while a key has the wrong type.
func (f *Feed) pollStats(ctx context.Context) {
	var backoff time.Duration
	for {
		msg := fetchStats(ctx, f.q)().(statsMsg)
		if ctx.Err() != nil {
			return
		}
		wait := f.interval
		switch {
		case msg.err == nil:
			backoff = 0
		case errors.Is(msg.err, queue.ErrLayout):
			backoff, wait = 0, max(f.interval, time.Second)
		default:
			backoff = min(max(backoff*2, 500*time.Millisecond), maxBackoff)
			wait = backoff
			msg.retryAt = time.Now().Add(wait)
		}
		f.publishStats(msg)
		if !sleep(ctx, wait) {
			return
		}
	}
}

// followEvents loads the recent history, then follows the stream with one
// blocking read at a time, retrying with a backoff when Redis does not answer.
func (f *Feed) followEvents(ctx context.Context) {
	after := ""
	var backoff time.Duration
	for {
		msg := readEvents(ctx, f.q, after)().(eventsMsg)
		if ctx.Err() != nil {
			return
		}
		if msg.err != nil {
			backoff = min(max(backoff*2, 500*time.Millisecond), maxBackoff)
			if msg.after != "" {
				after = msg.after
			}
			if !sleep(ctx, backoff) {
				return
			}
			continue
		}
		backoff, after = 0, msg.after
		f.publishEvents(msg.events)
	}
}

// sleep waits d, or less when ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// viewerFrame is the least time between two deliveries to a read-only viewer.
// Each delivery redraws the viewer's whole screen (~6 ms here): 30 students at
// the teacher's 4 a second took 76% of a core; twice a second still reads live,
// and nothing is lost, since a delivery carries the newest stats and every
// event since the last one.
const viewerFrame = 500 * time.Millisecond

// waitFeed blocks until the subscription has news (or ctx ends, when the
// model's program is gone) and returns all of it as one message.
func waitFeed(ctx context.Context, f *Feed, s *subscription) tea.Cmd {
	return waitFeedAfter(ctx, f, s, 0)
}

// waitFeedAfter is waitFeed that first lets gap pass, so that what arrives
// meanwhile comes as one delivery.
func waitFeedAfter(ctx context.Context, f *Feed, s *subscription, gap time.Duration) tea.Cmd {
	return func() tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		if gap > 0 {
			t := time.NewTimer(gap)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			return f.take(s)
		}
	}
}
