package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/components/header"
)

// paceSteps are the teaching paces < and > step through (0: off).
var paceSteps = []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// resetTimeout bounds the quit's reset of the shared switches: a Redis out of
// reach must not keep the teacher's terminal.
const resetTimeout = 2 * time.Second

// optimistic is a value shown from the key press that asked for it until a
// refresh shows it for real, so the screen answers at once however busy Redis
// is. It is dropped when the write fails, or when a refresh a while after the
// write still shows otherwise (another dashboard changed it meanwhile).
type optimistic[T comparable] struct {
	set   bool
	v     T
	until time.Time // zero while the write is in flight
}

func (o *optimistic[T]) expect(v T) { *o = optimistic[T]{set: true, v: v} }

// written starts the wait for a refresh to confirm the value.
func (o *optimistic[T]) written(now time.Time, wait time.Duration) {
	if o.set && o.until.IsZero() {
		o.until = now.Add(wait)
	}
}

// show is what to display given what Redis (or the pool) last said.
func (o *optimistic[T]) show(seen T, now time.Time) T {
	if !o.set {
		return seen
	}
	if seen == o.v || !o.until.IsZero() && now.After(o.until) {
		o.set = false
		return seen
	}
	return o.v
}

// switches are the dashboard's switches that outlive a key press: failure
// injection, the teaching pace and the pause (shared with every worker through
// Q:config; the pause also set at once on the embedded workers), and the
// number of embedded workers.
type switches struct {
	fail  optimistic[float64]
	pace  optimistic[time.Duration]
	pause optimistic[bool] // the embedded workers'
	qstop optimistic[bool] // the queue's, shared through Redis
	size  optimistic[int]

	// seen is the last refresh's view of the shared switches, before any
	// optimistic value is laid over it.
	seenFail   float64
	seenPace   time.Duration
	seenPaused bool
	seenOK     bool

	// What this dashboard turned on (0: nothing): a dashboard that quits turns
	// off what it turned on, so the next lesson does not start at 20% failures.
	ownFail  float64
	ownPace  time.Duration
	ownPause bool

	// writes is held by each write of a switch, so the writes of quick presses
	// (and the reset at quit) reach Redis in the order of the keys.
	writes *sync.Mutex
}

// switchMsg is the outcome of writing a switch (or acting on the pool).
type switchMsg struct {
	kind switchKind
	text string
	err  error
}

type switchKind int

const (
	switchFail switchKind = iota
	switchPace
	switchPause
	switchSize
)

// confirmWait is how long after its write an optimistic value waits for a
// refresh to show it.
func (m *Model) confirmWait() time.Duration { return 4*m.opts.Interval + time.Second }

// syncSwitches runs after every Update: it notes what a refresh says, greets
// the switches another dashboard left on, and lays the optimistic values over
// the snapshot the header draws (the header reads the tracker's snapshot).
func (m *Model) syncSwitches(msg tea.Msg) {
	now := m.c.Now()
	if s, ok := msg.(statsMsg); ok && s.err == nil {
		first := !m.sw.seenOK
		m.sw.seenFail, m.sw.seenPace, m.sw.seenOK = s.stats.FailRate, s.stats.Pace, true
		m.sw.seenPaused = s.stats.Paused
		if first {
			m.greet(s.stats)
		}
	}
	if !m.sw.seenOK {
		return
	}
	m.track.Last.FailRate = m.sw.fail.show(m.sw.seenFail, now)
	m.track.Last.Pace = m.sw.pace.show(m.sw.seenPace, now)
	m.track.Last.Paused = m.sw.qstop.show(m.sw.seenPaused, now)
}

// greet says which shared switches were already on when this dashboard
// started: a class would otherwise wonder why tasks fail or crawl.
func (m *Model) greet(s queue.Stats) {
	var on []string
	if s.FailRate > 0 && m.sw.ownFail == 0 {
		on = append(on, fmt.Sprintf(m.c.T("failure injection %s is on (set by another dashboard); x turns it off"), common.Percent(s.FailRate)))
	}
	if s.Pace > 0 && m.sw.ownPace == 0 {
		on = append(on, fmt.Sprintf(m.c.T("pace %s is on (set by another dashboard); < turns it down"), s.Pace))
	}
	if s.Paused && !m.sw.ownPause {
		on = append(on, m.c.T("the workers are paused (set by another dashboard); p resumes them"))
	}
	if len(on) > 0 {
		m.footer.SetStatus(strings.Join(on, "; "), false)
	}
}

// switchInfo lays the optimistic pause and pool size over the header's info.
func (m *Model) switchInfo(i header.Info) header.Info {
	if m.opts.Workers == nil {
		return i
	}
	now := m.c.Now()
	i.PoolPause = m.sw.pause.show(i.PoolPause, now)
	i.PoolSize = m.sw.size.show(i.PoolSize, now)
	return i
}

func (m *Model) onSwitch(msg switchMsg) tea.Cmd {
	now := m.c.Now()
	if msg.err != nil {
		// Show the truth again: the next refresh (or the pool) says what it is.
		switch msg.kind {
		case switchFail:
			m.sw.fail = optimistic[float64]{}
		case switchPace:
			m.sw.pace = optimistic[time.Duration]{}
		case switchPause:
			m.sw.pause, m.sw.qstop = optimistic[bool]{}, optimistic[bool]{}
		case switchSize:
			m.sw.size = optimistic[int]{}
		}
		m.footer.SetStatus(common.Clean(msg.err.Error()), true)
		return nil
	}
	switch msg.kind {
	case switchFail:
		m.sw.fail.written(now, m.confirmWait())
	case switchPace:
		m.sw.pace.written(now, m.confirmWait())
	case switchPause:
		m.sw.pause.written(now, 0)
		m.sw.qstop.written(now, m.confirmWait())
	case switchSize:
		m.sw.size.written(now, 0)
	}
	if msg.text != "" {
		m.footer.SetStatus(msg.text, false)
	}
	return nil
}

// toggleFail switches failure injection, from what the screen shows.
func (m *Model) toggleFail() tea.Cmd {
	q := m.opts.Queue
	if q == nil {
		return nil
	}
	rate, text := failRate, m.c.T("failure injection on: 20% of tasks fail")
	if m.track.Last.FailRate > 0 {
		rate, text = 0, m.c.T("failure injection off")
	}
	m.sw.fail.expect(rate)
	m.sw.ownFail = rate
	m.track.Last.FailRate = rate
	m.footer.SetStatus(text, false)
	return m.writeSwitch(switchFail, func(ctx context.Context) error { return q.SetFailRate(ctx, rate) })
}

// stepPace moves the teaching pace one step up (dir 1) or down (-1) from what
// the screen shows.
func (m *Model) stepPace(dir int) tea.Cmd {
	q := m.opts.Queue
	if q == nil {
		return nil
	}
	pace := nextPace(m.track.Last.Pace, dir)
	if pace == m.track.Last.Pace {
		return nil // already at the end of the steps
	}
	m.sw.pace.expect(pace)
	m.sw.ownPace = pace
	m.track.Last.Pace = pace
	text := m.c.T("pace off: tasks run at full speed")
	if pace > 0 {
		text = fmt.Sprintf(m.c.T("pace %s: every imgq worker takes at least %s per task"), pace, pace)
	}
	m.footer.SetStatus(text, false)
	return m.writeSwitch(switchPace, func(ctx context.Context) error { return q.SetPace(ctx, pace) })
}

// nextPace is the step after cur in direction dir; a pace between steps (set
// with --pace 600ms) moves to the nearest step that way.
func nextPace(cur time.Duration, dir int) time.Duration {
	if dir > 0 {
		for _, p := range paceSteps {
			if p > cur {
				return p
			}
		}
		return cur
	}
	for i := len(paceSteps) - 1; i >= 0; i-- {
		if paceSteps[i] < cur {
			return paceSteps[i]
		}
	}
	return cur
}

// pause pauses or resumes every imgq worker on the queue (through Redis, as
// failure injection) and the embedded ones at once, from what the screen shows.
func (m *Model) pause() tea.Cmd {
	q, pool := m.opts.Queue, m.opts.Workers
	if q == nil && pool == nil {
		m.footer.SetStatus(m.c.T("no embedded workers (--workers 0)"), true)
		return nil
	}
	now := m.c.Now()
	shown := m.track.Last.Paused
	if pool != nil {
		shown = shown || m.sw.pause.show(pool.Paused(), now)
	}
	p := !shown
	text := m.c.T("workers resumed")
	if p {
		text = m.c.T("workers paused")
	}
	if pool != nil {
		m.sw.pause.expect(p)
	}
	if q != nil {
		m.sw.qstop.expect(p)
		m.track.Last.Paused = p
		m.sw.ownPause = p
	}
	m.footer.SetStatus(text, false)
	return m.writeSwitch(switchPause, func(ctx context.Context) error {
		if pool != nil {
			pool.SetPaused(p)
		}
		if q != nil {
			return q.SetPaused(ctx, p)
		}
		return nil
	})
}

// scale adds or removes embedded workers, counting from what the screen shows
// so that three quick presses make three.
func (m *Model) scale(delta int) tea.Cmd {
	pool := m.opts.Workers
	if pool == nil {
		m.footer.SetStatus(m.c.T("no embedded workers (--workers 0)"), true)
		return nil
	}
	n := max(m.sw.size.show(pool.Size(), m.c.Now())+delta, 0)
	m.sw.size.expect(n)
	text := fmt.Sprintf(m.c.T("workers: %d"), n)
	m.footer.SetStatus(text, false)
	// Scale may wait for a worker to finish its task: never on the UI goroutine.
	return m.writeSwitch(switchSize, func(context.Context) error {
		if err := pool.Scale(n); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		return nil
	})
}

// writeSwitch runs f in the background, after the writes of earlier presses.
func (m *Model) writeSwitch(kind switchKind, f func(ctx context.Context) error) tea.Cmd {
	ctx, mu := m.ctx, m.switchWrites()
	return func() tea.Msg {
		mu.Lock()
		defer mu.Unlock()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return switchMsg{kind: kind, err: f(ctx)}
	}
}

func (m *Model) switchWrites() *sync.Mutex {
	if m.sw.writes == nil {
		m.sw.writes = &sync.Mutex{}
	}
	return m.sw.writes
}

// takeReset returns what turns off the shared switches this dashboard turned
// on and that still hold what it set (another dashboard may have changed them
// since), and forgets them; nil when there is nothing to turn off.
func (m *Model) takeReset() func(ctx context.Context) error {
	q := m.opts.Queue
	mine := queue.Shared{FailRate: m.sw.ownFail, Pace: m.sw.ownPace, Paused: m.sw.ownPause}
	m.sw.ownFail, m.sw.ownPace, m.sw.ownPause = 0, 0, false
	if q == nil || mine == (queue.Shared{}) {
		return nil
	}
	mu := m.switchWrites()
	return func(ctx context.Context) error {
		// After this dashboard's earlier writes (the lock), compared with
		// Redis itself: a press whose refresh has not come back yet is
		// still this dashboard's to turn off.
		mu.Lock()
		defer mu.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resetTimeout)
		defer cancel()
		if err := q.ClearShared(ctx, mine); err != nil {
			return fmt.Errorf("turn off this dashboard's switches: %w", err)
		}
		return nil
	}
}

// quit turns off what this dashboard turned on, then quits.
func (m *Model) quit() tea.Cmd {
	m.stopMonitor()
	reset := m.takeReset()
	if reset == nil {
		return tea.Quit
	}
	m.footer.SetStatus(m.c.T("turning off this dashboard's switches…"), false)
	ctx := m.ctx
	return func() tea.Msg {
		_ = reset(ctx) // quitting: nobody is left to read the error
		return tea.QuitMsg{}
	}
}
