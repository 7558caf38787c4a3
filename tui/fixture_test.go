package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/queue"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// t0 is the fixed clock of every view test.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC // event times render the same everywhere
	// Fails the tests if any goroutine outlives them (a MONITOR reader, a
	// refresh, a client not closed).
	goleak.VerifyTestMain(m)
}

// fakePool is an in-memory WorkerPool.
type fakePool struct {
	n      int
	paused bool
	err    error
}

func (p *fakePool) Size() int         { return p.n }
func (p *fakePool) Scale(n int) error { p.n = n; return p.err }
func (p *fakePool) SetPaused(b bool)  { p.paused = b }
func (p *fakePool) Paused() bool      { return p.paused }

// clock is a settable clock for the model.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture builds a model with no queue (no I/O can happen) at w×h, fed with a
// minute of history of nWorkers workers and a set of events.
func fixture(t *testing.T, w, h, nWorkers int, opts Options) (*Model, *clock) {
	t.Helper()
	return fixtureWith(t, w, h, opts, func(at time.Time, i int) queue.Stats { return sampleStats(at, i, nWorkers) }, sampleEvents())
}

// fixtureWith is fixture with the snapshots of gen (called for i = 0..12, five
// seconds apart) and the events evs.
func fixtureWith(t *testing.T, w, h int, opts Options, gen func(at time.Time, i int) queue.Stats, evs []queue.Event) (*Model, *clock) {
	t.Helper()
	clk := &clock{t: t0.Add(-time.Minute)}
	if opts.RedisAddr == "" {
		opts.RedisAddr = "127.0.0.1:6379"
	}
	if opts.Queue == nil {
		// A queue on a port nothing listens on: the model knows its name and
		// key prefix, and no test here runs a command against it.
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
		t.Cleanup(func() { _ = rdb.Close() })
		q, err := queue.New(rdb, queue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		opts.Queue = q
	}
	m := newModel(context.Background(), opts, clk.now)
	m.started = t0.Add(-3*time.Minute - 25*time.Second)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for i := 0; i <= 12; i++ {
		at := t0.Add(-time.Minute + time.Duration(i)*5*time.Second)
		clk.t = at
		m.Update(statsMsg{stats: gen(at, i)})
	}
	m.Update(versionMsg{version: "7.0.15"})
	m.Update(eventsMsg{events: evs, after: "1-0"})
	return m, clk
}

// courseFixture is a mixed class: three imgq workers and one course worker
// (py-4242, observed: imgq did not start it) busy on a task, its observed
// claim and completion in the events, and two claims of a crashed course
// worker (py-crashed) stuck in processing for longer than StuckAfter (60 s).
func courseFixture(t *testing.T, w, h int, opts Options) (*Model, *clock) {
	t.Helper()
	return fixtureWith(t, w, h, opts, courseStats, courseEvents())
}

func courseStats(at time.Time, i int) queue.Stats {
	s := sampleStats(at, i, 3)
	done := int64(2 * i)
	s.Workers = append(s.Workers, queue.WorkerStat{
		ID: "py-4242", State: queue.WorkerBusy, Observed: true,
		StartedAt: t0.Add(-5 * time.Minute), LastSeen: at,
		Processed: done, Failed: int64(i / 6), Dead: int64(i / 6), Busy: time.Duration(done) * 400 * time.Millisecond,
		Active: 1, Current: "task-c0ffee0000000007", CurrentName: "beach.jpg", CurrentFor: 1200 * time.Millisecond,
	})
	s.Processing += 3
	s.Foreign = []queue.ForeignClaim{
		{ID: "task-dead00000000000a", Worker: "py-crashed", Since: t0.Add(-3 * time.Minute)},
		{ID: "task-dead00000000000b", Worker: "py-crashed", Since: t0.Add(-2 * time.Minute)},
		{ID: "task-c0ffee0000000007", Worker: "py-4242", Since: at.Add(-1200 * time.Millisecond)},
	}
	return s
}

func courseEvents() []queue.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s-30) * time.Second) }
	return append(sampleEvents(),
		queue.Event{ID: "12", Time: at(11), Kind: queue.EventClaimed, Task: "task-c0ffee0000000006", Name: "dune.jpg", Worker: "py-4242", Observed: true},
		queue.Event{ID: "13", Time: at(12), Kind: queue.EventCompleted, Task: "task-c0ffee0000000006", Name: "dune.jpg", Worker: "py-4242", Observed: true, Duration: 410 * time.Millisecond},
		queue.Event{ID: "14", Time: at(13), Kind: queue.EventClaimed, Task: "task-c0ffee0000000007", Name: "beach.jpg", Worker: "py-4242", Observed: true},
	)
}

func sampleStats(at time.Time, i, nWorkers int) queue.Stats {
	s := queue.Stats{
		At:          at,
		PendingHigh: int64(max(4-i, 0)),
		Pending:     int64(max(40-3*i, 2)),
		PendingLow:  int64(i % 3),
		Processing:  int64(min(nWorkers, 3)),
		Retry:       int64(i % 2),
		Completed:   int64(10 * i),
		Failed:      int64(i / 4),
		Totals:      queue.Totals{Enqueued: 150, Claimed: int64(11 * i), Completed: int64(10 * i), Retried: int64(i / 2), Failed: int64(i / 4), Recovered: 1},
		// The oldest of the pending tasks has waited since the first snapshot.
		OldestPending: time.Duration(2000+100*i) * time.Millisecond,
	}
	for k := range nWorkers {
		names := []string{"ana", "luis", "marta", "pablo", "sofia", "diego", "lucia", "hugo", "elena", "mario"}
		id := fmt.Sprintf("w-%d", k+1)
		if nWorkers > 3 {
			id = fmt.Sprintf("%s-%02d", names[k%len(names)], k+1)
		}
		st := queue.WorkerBusy
		switch {
		case k%7 == 3:
			st = queue.WorkerIdle
		case k%11 == 5:
			st = queue.WorkerGone
		case k%13 == 6:
			st = queue.WorkerPaused
		}
		done := int64(i * (k%4 + 1))
		ws := queue.WorkerStat{
			ID: id, Host: fmt.Sprintf("laptop-%d", k+1), PID: 4100 + k, Concurrency: 1, State: st,
			StartedAt: t0.Add(-10*time.Minute + time.Duration(k)*time.Second),
			LastSeen:  at, Processed: done, Failed: int64(i / 6 * (k % 2)),
			Retried: int64(i/6*(k%2) - i/12*(k%2)), Dead: int64(i / 12 * (k % 2)),
			Busy: time.Duration(done) * time.Duration(180+20*k) * time.Millisecond,
		}
		if st == queue.WorkerBusy {
			ws.Active, ws.Current, ws.CurrentName = 1, fmt.Sprintf("task-%08x0000ffff", 0x1a2b3c00+k), "cat.jpg"
			ws.CurrentFor = time.Duration(100+37*k) * time.Millisecond
		}
		s.Workers = append(s.Workers, ws)
	}
	return s
}

func sampleEvents() []queue.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s-30) * time.Second) }
	return []queue.Event{
		{ID: "1", Time: at(0), Kind: queue.EventWorkerUp, Worker: "w-3"},
		{ID: "2", Time: at(1), Kind: queue.EventEnqueued, Task: "task-1a2b3c4d00000001", Name: "cat.jpg"},
		{ID: "3", Time: at(2), Kind: queue.EventClaimed, Task: "task-1a2b3c4d00000001", Name: "cat.jpg", Worker: "w-1", Attempt: 1},
		{ID: "4", Time: at(3), Kind: queue.EventCompleted, Task: "task-1a2b3c4d00000001", Name: "cat.jpg", Worker: "w-1", Duration: 212 * time.Millisecond},
		{ID: "5", Time: at(4), Kind: queue.EventRetried, Task: "task-5e6f7a8b00000002", Name: "dog.jpg", Worker: "w-2", Attempt: 1, Error: "injected failure"},
		{ID: "6", Time: at(5), Kind: queue.EventWorkerGone, Worker: "w-2"},
		{ID: "7", Time: at(6), Kind: queue.EventRecovered, Task: "task-9c0d1e2f00000003", Name: "sunset.jpg", Prev: "w-2", Error: "lease expired"},
		{ID: "8", Time: at(7), Kind: queue.EventClaimed, Task: "task-9c0d1e2f00000003", Name: "sunset.jpg", Worker: "w-3", Prev: "w-2", Attempt: 2},
		{ID: "9", Time: at(8), Kind: queue.EventFailed, Task: "task-5e6f7a8b00000002", Name: "dog.jpg", Worker: "w-1", Attempt: 3, Error: "image: unknown format"},
		{ID: "10", Time: at(9), Kind: queue.EventRequeued, Task: "task-5e6f7a8b00000002", Name: "dog.jpg"},
		{ID: "11", Time: at(10), Kind: queue.EventFlushed, Count: 42},
	}
}

// screen is the rendered view without styles, for goldens people can read.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

func keyMsg(s string) tea.KeyPressMsg {
	switch s {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

func requireContains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("screen lacks %q:\n%s", sub, s)
		}
	}
}
