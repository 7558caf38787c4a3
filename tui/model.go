package tui

import (
	"context"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/components/detail"
	"github.com/imgq/imgq/tui/components/events"
	"github.com/imgq/imgq/tui/components/failed"
	"github.com/imgq/imgq/tui/components/footer"
	"github.com/imgq/imgq/tui/components/header"
	"github.com/imgq/imgq/tui/components/queues"
	"github.com/imgq/imgq/tui/components/workers"
	"github.com/imgq/imgq/tui/metrics"
)

// view is what fills the body of the screen.
type view int

const (
	viewMain view = iota
	viewFailed
	viewDetail
	viewHelp
	viewJoin
)

// pane is a focusable pane of the main view.
type pane int

const (
	paneWorkers pane = iota
	paneEvents
	numPanes
)

// Model is the root model. It is used through a pointer: components are values
// inside it, and commands only ever return messages.
type Model struct {
	ctx   context.Context
	opts  Options
	c     common.Common
	track *metrics.Tracker

	header  header.Model
	queues  queues.Model
	workers workers.Model
	events  events.Model
	failed  failed.Model
	detail  detail.Model
	footer  footer.Model

	w, h    int
	view    view
	back    view // where esc returns to from the detail
	focus   pane
	started time.Time

	// refresh
	conn     header.Conn
	backoff  time.Duration
	retryAt  time.Time
	lastOK   time.Time // last successful refresh: a stalled Redis shows as such
	version  string
	needInfo bool // ask the server version at the next successful refresh
	// clash is the explanation of a key of the wrong type (queue.LayoutError),
	// cleaned: Redis answers, so it is shown under the header, not as an outage.
	clash string

	// events stream
	after     string
	evBackoff time.Duration

	// sub is the model's subscription to opts.Feed (nil without one).
	sub *subscription
	// lockedKeys are the keys a read-only viewer may not use (enabled copies:
	// the bindings in c.Keys are disabled, so the help does not offer them).
	lockedKeys []key.Binding

	// MONITOR
	mon         monitorState
	openMonitor func(context.Context) (<-chan string, error)

	confirm string // the action waiting for y/n ("flush")

	sw switches // failure injection, pace, pause and pool size (switches.go)

	// topo is the topology as last probed (topology.go): the Sentinel master.
	topo header.Topology
}

func newModel(ctx context.Context, opts Options, now func() time.Time) *Model {
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	c := common.New(ctx, opts.Lang)
	c.Now = now
	c.Theme, _ = common.ParseTheme(opts.Theme) // Run refuses an unknown name; "" is auto
	c.Styles = common.StylesFor(c.Theme, true)
	t := metrics.New()
	var prefixes []string
	if opts.Queue != nil {
		prefixes = keyPrefixes(opts.Queue)
	}
	m := &Model{
		ctx: ctx, opts: opts, c: c, track: t,
		header:   header.New(c, t),
		queues:   queues.New(c, t),
		workers:  workers.New(c, t),
		events:   events.New(c, prefixes...),
		failed:   failed.New(c),
		detail:   detail.New(c),
		footer:   footer.New(c),
		started:  now(),
		needInfo: true,
		w:        80, h: 24,
	}
	m.mon.wg = &sync.WaitGroup{}
	m.openMonitor = opts.Monitor
	if m.openMonitor == nil && opts.Queue != nil {
		q, wg := opts.Queue, m.mon.wg
		m.openMonitor = func(ctx context.Context) (<-chan string, error) {
			return redisconn.Monitor(ctx, q.Client(), nil, wg)
		}
	}
	if opts.ReadOnly {
		m.lockKeys()
	} else {
		// --pace was written before the workers started: it is this dashboard's
		// (a read-only viewer owns no switch, so its quitting turns none off).
		m.sw.ownPace = opts.Pace
	}
	m.setFocus(paneWorkers)
	m.layout()
	return m
}

// Init starts the three loops: stats refresh, event stream, and the clock;
// with the auto theme it also asks the terminal for its background colour.
// With a Feed, the first two are the feed's: the model only waits for its
// snapshots.
func (m *Model) Init() tea.Cmd {
	var bg tea.Cmd
	if m.c.Theme == common.ThemeAuto {
		bg = tea.RequestBackgroundColor
	}
	topo := probeTopology(m.ctx, m.opts.Topology, 0)
	if m.opts.Feed != nil {
		return tea.Batch(m.subscribe(), clockTick(), bg, topo)
	}
	return tea.Batch(
		fetchStats(m.ctx, m.opts.Queue),
		readEvents(m.ctx, m.opts.Queue, ""),
		clockTick(),
		bg, topo,
	)
}

// setBackground follows the terminal's background (its answer to Init's
// question, and again whenever it changes) when the theme is auto. The
// footer's help and prompt keep copies of their styles: they get the new ones.
func (m *Model) setBackground(dark bool) {
	m.c.SetBackground(dark)
	m.footer.Restyle()
}

func (m *Model) setFocus(p pane) {
	m.focus = p
	m.workers.SetFocused(p == paneWorkers)
	m.events.SetFocused(p == paneEvents)
}

// bannerRows is the lines between the header and the body: the join line and
// the explanation of a layout clash.
func (m *Model) bannerRows() int {
	n := len(m.clashLines())
	if m.opts.JoinLine != "" {
		n++
	}
	return n
}

// bodyRows is the height left for the view between header and footer.
func (m *Model) bodyRows() int {
	return max(m.h-m.header.Height()-m.footer.Height()-m.bannerRows(), 4)
}

// eventsMin is the rows the events pane keeps however many workers there are:
// its title and five events.
const eventsMin = 6

// layout gives every component its rectangle. The panes are stacked, each the
// full width: the queues' rows get long sparklines, and the events and MONITOR
// lines room for every column and whole key names. The queues pane takes its
// full height while the class fits beside it, the workers pane what its rows
// need, and the events pane the rest: with three workers the stream is the
// show; with thirty, the class is.
func (m *Model) layout() {
	w := m.w
	m.header.SetSize(w, m.header.Height())
	m.footer.SetSize(w, 1)
	body := m.bodyRows()
	m.failed.SetSize(w, body)
	m.detail.SetSize(w, body)

	need := func(avail int) int {
		return workers.Need(len(m.track.Last.Workers), w, avail, m.workers.Leaderboard())
	}
	qh := queues.Rows(body / 3)
	if avail := body - qh - eventsMin; qh > queues.Compact && need(avail) > avail {
		qh = queues.Compact // the class first
	}
	qh = max(min(qh, body-4), 1) // a tiny screen keeps a row of events
	avail := max(body-qh-eventsMin, 3)
	wh := min(max(need(avail), 3), avail)
	m.queues.SetSize(w, qh)
	m.workers.SetSize(w, wh)
	m.events.SetSize(w, max(body-qh-wh, 1))
}

// stuck is how many claims of workers imgq cannot see are older than the
// queue's StuckAfter, by the newest snapshot.
func (m *Model) stuck() int {
	if m.opts.Queue == nil {
		return 0
	}
	return len(m.track.Last.Stuck(m.opts.Queue.Options().StuckAfter))
}

func (m *Model) stopMonitor() {
	if m.mon.cancel != nil {
		m.mon.cancel()
		m.mon.cancel = nil
	}
	m.mon.on = false
}

func (m *Model) headerInfo() header.Info {
	i := header.Info{
		Addr: m.opts.RedisAddr, Embedded: m.opts.Embedded, Version: m.version,
		Conn: m.conn, RetryAt: m.retryAt, Started: m.started, PoolSize: -1,
		LastOK: m.lastOK, StallAfter: max(4*m.opts.Interval, 1500*time.Millisecond),
		Monitor: m.mon.on, Topology: m.topo,
	}
	i.Topology.Kind, i.Topology.Name = m.opts.Topology.Kind, m.opts.Topology.Name
	if m.opts.Queue != nil {
		i.Queue = m.opts.Queue.Name()
		i.Stuck = m.stuck()
	}
	if m.opts.Workers != nil {
		i.PoolSize = m.opts.Workers.Size()
		i.PoolPause = m.opts.Workers.Paused()
	}
	return i
}

// keyPrefixes are the key prefixes of q's keys: its own, or each shard's.
func keyPrefixes(q *queue.Queue) []string {
	var out []string
	for _, k := range q.AllKeys() {
		out = append(out, k.Prefix)
	}
	return out
}
