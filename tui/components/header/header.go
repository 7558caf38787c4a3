// Package header draws the dashboard's top three lines: what is being watched
// (queue, connection, Redis, uptime), the switches that change what everything
// else on screen means (pause, failure injection, pace, MONITOR), and how the
// queue is doing (queue latency, throughput, workers, time to drain).
package header

import (
	"fmt"
	"math"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

// Conn is the connection state shown in the header.
type Conn int

const (
	Connecting Conn = iota
	Connected
	Disconnected
	// Clash: Redis answered, but a key of the queue has the wrong type (a
	// queue.LayoutError). Not an outage: the explanation is shown below the
	// header, and the header says so instead of "disconnected".
	Clash
)

// Info is what the header shows; the root model fills it each refresh.
type Info struct {
	Queue     string
	Addr      string // already redacted by the caller
	Embedded  bool
	Version   string
	Conn      Conn
	RetryAt   time.Time // when Disconnected: the next attempt
	Started   time.Time
	PoolSize  int // embedded workers; -1 when there is no pool
	PoolPause bool
	// LastOK is the last refresh Redis answered; when it is older than
	// StallAfter while still connected (DEBUG SLEEP, a slow script, a busy
	// server) the header says Redis is stalled instead of showing stale numbers
	// as if they were live.
	LastOK     time.Time
	StallAfter time.Duration
	// Stuck is how many claims of workers imgq cannot see (course workers)
	// are older than the queue's stuck-after: they wait for the requeue key.
	Stuck int
	// Monitor is whether this dashboard shows the MONITOR feed.
	Monitor bool
	// Topology is what Addr leads to: a Sentinel master, a cluster's masters.
	Topology Topology
}

// Topology is what the dashboard is connected to, as the first line shows it.
// The zero value is a single server, shown by its Addr.
type Topology struct {
	Kind    string // redisconn.Standalone ("" too), Sentinel, Cluster or EmbeddedKind
	Name    string // Sentinel: the master's name
	Master  string // Sentinel: the master's host:port, "" until the Sentinels answered
	Masters int    // Cluster: the masters that serve slots, 0 until counted
	// Slots is, on a cluster, each master and the slot ranges it serves, in
	// slot order: what puts a sharded queue's shards on their masters. Nil
	// until the first CLUSTER SLOTS answer.
	Slots []Master
}

// Master is a cluster master and the slot ranges it serves.
type Master struct {
	Addr   string   // host:port, as CLUSTER SLOTS names it (untrusted)
	Ranges [][2]int // first and last slot of each range, inclusive
}

// Model is the header.
type Model struct {
	c     common.Common
	w     int
	info  Info
	track *metrics.Tracker
}

// New returns a header.
func New(c common.Common, t *metrics.Tracker) Model { return Model{c: c, track: t} }

// SetSize sets the width; the header is always Height lines.
func (m *Model) SetSize(w, _ int) { m.w = w }

// SetInfo replaces what is shown.
func (m *Model) SetInfo(i Info) { m.info = i }

// Height is the number of lines View returns.
func (m Model) Height() int { return 3 }

// View renders the three lines. Each is a row of fields in a fixed order; a
// field keeps its place and its width whatever its value (see fit), so a
// switch turned on never moves the others.
func (m Model) View() string {
	sep := m.c.Styles.Subtle.Render(" · ")
	return fit(m.identity(), sep, m.w) + "\n" + fit(m.switches(), sep, m.w) + "\n" + fit(m.figures(), sep, m.w)
}

// lv is a label and its value.
func (m Model) lv(label, value string) string {
	return m.lvIn(label, m.c.Styles.Value.Render(value), 0)
}

// lvIn is a label and its (styled) value right-aligned in at least w cells:
// the value's right edge, and what follows, stay put as it changes.
func (m Model) lvIn(label, value string, w int) string {
	return m.c.Styles.Label.Render(label+" ") + common.FitLeft(value, max(w, ansi.StringWidth(value)))
}

// identity is the first line: the queue, the connection, where Redis is
// (with a sharded queue's shards and their depths, shards.go), the uptime.
// The uptime, then the address are what a narrow screen drops; the server's
// version goes before the address does (a Sentinel master's host:port is
// worth more than its version), and the shards' detail a step at a time
// after the version, before the address.
func (m Model) identity() []field {
	st, c, i := m.c.Styles, m.c, m.info
	shards := m.shardForms()
	fs := []field{
		{text: st.Title.Render("imgq") + " " + st.Value.Render(common.Clean(i.Queue))},
		{text: m.conn()},
		m.whereField(m.where(), shards),
	}
	if v := common.Clean(i.Version); v != "" {
		withV := m.whereField(m.where()+" v"+v, shards[:min(len(shards), 1)])
		if lineWidth(append(fs[:2:2], withV), "   ") <= m.w {
			withV.alts = append([]field{fs[2]}, fs[2].alts...)
			fs[2] = withV
		}
	}
	return append(fs, field{text: m.lv(c.T("uptime"), common.Duration(c.Now().Sub(i.Started))), drop: 4})
}

// where is the connection as the first line names it: the URL of a single
// server, the Sentinel master's name and where it is now (a failover changes
// it), or how many masters a cluster has.
func (m Model) where() string {
	c, i, tp := m.c, m.info, m.info.Topology
	switch tp.Kind {
	case redisconn.Sentinel:
		s := "sentinel " + common.Clean(tp.Name)
		if tp.Master != "" {
			s += " → " + common.Clean(tp.Master)
		}
		return s
	case redisconn.Cluster:
		if tp.Masters > 0 {
			return fmt.Sprintf(c.T("cluster %d masters"), tp.Masters)
		}
		return "cluster"
	}
	addr := common.Clean(i.Addr)
	if i.Embedded || tp.Kind == redisconn.EmbeddedKind {
		addr += " (" + c.T("embedded") + ")"
	}
	return addr
}

func (m Model) conn() string {
	st, c, i := m.c.Styles, m.c, m.info
	switch i.Conn {
	case Connected:
		if quiet := c.Now().Sub(i.LastOK); !i.LastOK.IsZero() && i.StallAfter > 0 && quiet > i.StallAfter {
			return st.Warn.Bold(true).Render("◌ " + fmt.Sprintf(c.T("redis stalled: no answer for %s"), common.Duration(quiet)))
		}
		return st.OK.Render("● " + c.T("connected"))
	case Connecting:
		return st.Warn.Render("◌ " + c.T("connecting"))
	case Clash:
		return st.Warn.Bold(true).Render("▲ " + c.T("wrong key type"))
	}
	secs := max(int(math.Ceil(i.RetryAt.Sub(c.Now()).Seconds())), 1)
	return st.Error.Bold(true).Render("✕ " + fmt.Sprintf(c.T("disconnected, retrying in %s"), fmt.Sprintf("%ds", secs)))
}

// switches is the second line: every shared switch with its value, on or
// off, each in a slot as wide as its widest form. Stuck claims, which wait
// for the teacher's key, come last so their arrival moves nothing.
func (m Model) switches() []field {
	st, c, i, s := m.c.Styles, m.c, m.info, m.track.Last
	off := st.Muted.Render(c.T("off"))
	// sw is a switch: its label, then its value or "off", in room for the
	// widest value it can take.
	sw := func(label string, on bool, value, widest string) field {
		f := slot(m.lvIn(label, off, 0), m.lvIn(label, value, 0), m.lvIn(label, widest, 0))
		if on {
			f.text = m.lvIn(label, value, 0)
		}
		return f
	}
	fs := []field{
		pick(i.PoolPause || s.Paused, st.Warn.Bold(true).Render("‖ "+c.T("paused")), st.Muted.Render("▶ "+c.T("running"))),
		sw(c.T("fail injection"), s.FailRate > 0, st.Error.Bold(true).Render(common.Percent(s.FailRate)), "100%"),
		sw(c.T("pace"), s.Pace > 0, st.Warn.Bold(true).Render(common.Duration(s.Pace)), "999ms"),
		sw("MONITOR", i.Monitor, st.Notice.Render(c.T("on")), ""),
	}
	if i.Stuck > 0 {
		fs = append(fs, field{text: st.Warn.Bold(true).Render("▲ "+fmt.Sprintf(c.T("stuck %d"), i.Stuck)) +
			st.Muted.Render(" ("+c.Keys.RequeueStuck.Help().Key+")")})
	}
	return fs
}

// figures is the third line: how long work waits, how fast it goes, who does
// it, when it will be done. Numbers sit in slots wide enough for their usual
// range, so a value growing a digit does not push the next field.
func (m Model) figures() []field {
	st, c, i, s := m.c.Styles, m.c, m.info, m.track.Last
	drain := "∞"
	if d, ok := m.track.Drain(); ok {
		drain = common.Duration(d)
	}
	if s.PendingTotal()+s.Retry+s.Processing == 0 {
		drain = "-"
	}
	alive := 0
	for _, w := range s.Workers {
		if w.State != "gone" && w.State != "stopped" {
			alive++
		}
	}
	workers := fmt.Sprint(alive)
	if i.PoolSize >= 0 {
		workers += fmt.Sprintf(" (%d %s)", i.PoolSize, c.N("embedded", i.PoolSize))
	}
	spark := 12
	if m.w < 100 {
		spark = 8
	}
	// Durations up to 9m59s and rates up to 99.9/s keep their width.
	value := func(v string, w int) string { return common.FitLeft(st.Value.Render(v), w) }
	through := m.lvIn(c.T("throughput"), value(common.Rate(m.track.Throughput()), 6), 0) + " " +
		st.Spark.Render(common.Sparkline(m.track.ThroughputSeries().Buckets(c.Now(), spark)))
	return []field{
		{text: m.lvIn(c.T("queue latency"), value(common.Duration(s.OldestPending), 5), 0)},
		{text: through, drop: 1},
		{text: m.lv(c.T("workers"), workers), drop: 1},
		{text: m.lvIn(c.T("drain"), value(drain, 5), 0), drop: 2},
	}
}
