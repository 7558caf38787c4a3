// Package tui is imgq's live dashboard: a Bubble Tea program that shows the
// queue, its workers and its events, and lets a teacher (or an operator) act on
// them with one key. Components live in tui/components, shared styles, keys and
// labels in tui/common, and the rates in tui/metrics; this package wires them
// together and owns every piece of I/O, always inside a tea.Cmd.
package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// Options configure the dashboard. main.go fills them.
type Options struct {
	Queue     *queue.Queue                                     // stats, events, flush, requeue, task lookup, failed list, fail rate
	Workers   WorkerPool                                       // embedded workers; nil with --workers 0 (watch only)
	Enqueue   func(ctx context.Context, n int) (int, error)    // enqueue n sample tasks; returns how many
	Monitor   func(ctx context.Context) (<-chan string, error) // MONITOR lines; nil: the dashboard dials Redis itself
	RedisAddr string                                           // already redacted: never contains a password
	Embedded  bool                                             // the in-process miniredis: memory only
	Topology  Topology                                         // standalone, Sentinel or cluster, for the header (TopologyOf)
	Interval  time.Duration                                    // refresh period, default 250ms
	Lang      string                                           // "en" (default) or "es"
	JoinLine  string                                           // classroom: the line students type; "" hides it
	Theme     string                                           // "auto" (default: follows the terminal), "dark", "light" or "contrast"
	// Feed, when set, is the run's one poller: the model shows its snapshots
	// instead of reading stats and events itself (Run makes one when nil).
	Feed *Feed
	// ReadOnly is a viewer's dashboard (--share over SSH): the keys that
	// change the queue or the workers are locked and say so when pressed.
	ReadOnly bool
	// Pace is the teaching pace the caller set (--pace) before starting the
	// workers: the dashboard turns it off when it quits, as its own < > keys'.
	Pace time.Duration
}

// WorkerPool is the set of workers running inside this process.
type WorkerPool interface {
	Size() int
	Scale(n int) error // set the number of embedded workers
	SetPaused(paused bool)
	Paused() bool
}

// New returns the root model (for tests; Run is what main calls).
func New(ctx context.Context, opts Options) tea.Model { return newModel(ctx, opts, time.Now) }

// Run runs the dashboard until q or ctrl+c (or ctx ends). When it returns, every
// goroutine it started has been told to stop and the embedded workers may be
// shut down.
func Run(ctx context.Context, opts Options) error {
	if _, err := common.ParseTheme(opts.Theme); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Feed == nil {
		opts.Feed = NewFeed(opts.Queue, opts.Interval)
		opts.Feed.Start(ctx)
		defer opts.Feed.Stop()
	}
	m := newModel(ctx, opts, time.Now)
	p := tea.NewProgram(m, tea.WithContext(ctx))
	_, err := p.Run()
	cancel()
	// Stopped other than by q (ctx, a signal): turn off what this dashboard
	// turned on all the same. After q, there is nothing left to turn off.
	if reset := m.takeReset(); reset != nil {
		_ = reset(ctx)
	}
	m.stopMonitor()
	m.mon.wait()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // the caller cancelled: a normal way to stop
	}
	return err
}
