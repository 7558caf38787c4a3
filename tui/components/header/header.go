// Package header draws the dashboard's top two lines: what is being watched
// (queue, Redis, version, connection) and how it is going (throughput, time to
// drain, workers, failure injection).
package header

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
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

// SetSize sets the width; the header is always two lines.
func (m *Model) SetSize(w, _ int) { m.w = w }

// SetInfo replaces what is shown.
func (m *Model) SetInfo(i Info) { m.info = i }

// Height is the number of lines View returns.
func (m Model) Height() int { return 2 }

// View renders the two lines.
func (m Model) View() string {
	st, c, i := m.c.Styles, m.c, m.info
	sep := st.Subtle.Render(" · ")
	lv := func(label, value string) string { return st.Label.Render(label+" ") + st.Value.Render(value) }

	addr := common.Clean(i.Addr)
	if i.Embedded {
		addr += " (" + c.T("embedded") + ")"
	}
	if v := common.Clean(i.Version); v != "" {
		addr += " v" + v
	}
	var conn string
	switch i.Conn {
	case Connected:
		conn = st.OK.Render("● " + c.T("connected"))
		if quiet := c.Now().Sub(i.LastOK); !i.LastOK.IsZero() && i.StallAfter > 0 && quiet > i.StallAfter {
			conn = st.Warn.Bold(true).Render("◌ " + fmt.Sprintf(c.T("redis stalled: no answer for %s"), common.Duration(quiet)))
		}
	case Connecting:
		conn = st.Warn.Render("◌ " + c.T("connecting"))
	case Clash:
		conn = st.Warn.Bold(true).Render("▲ " + c.T("wrong key type"))
	default:
		secs := max(int(math.Ceil(i.RetryAt.Sub(c.Now()).Seconds())), 1)
		conn = st.Error.Bold(true).Render("✕ " + fmt.Sprintf(c.T("disconnected, retrying in %s"), fmt.Sprintf("%ds", secs)))
	}
	// The connection state comes before the address: when the line is too
	// narrow, the address is what gets dropped.
	line1 := []string{
		st.Title.Render("imgq") + " " + st.Value.Render(common.Clean(i.Queue)),
		conn,
		st.Text.Render(addr),
		lv(c.T("uptime"), common.Duration(c.Now().Sub(i.Started))),
	}

	s := m.track.Last
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
		workers += fmt.Sprintf(" (%d %s)", i.PoolSize, c.T("embedded"))
	}
	fail := st.Muted.Render(c.T("off"))
	if s.FailRate > 0 {
		fail = st.Error.Bold(true).Render(common.Percent(s.FailRate))
	}
	// Facts in order of importance: when the line is too narrow the last ones
	// go. Failure injection and pause, when on, explain everything else on the
	// screen, so they come right after the throughput.
	line2 := []string{lv(c.T("throughput"), common.Rate(m.track.Throughput())) + " " +
		st.Spark.Render(common.Sparkline(m.track.ThroughputSeries().Buckets(c.Now(), 12)))}
	// Stuck claims need the teacher's key: right after the throughput, so a
	// narrow line drops anything else first.
	if i.Stuck > 0 {
		line2 = append(line2, st.Warn.Bold(true).Render("▲ "+fmt.Sprintf(c.T("stuck %d"), i.Stuck))+
			st.Muted.Render(" ("+c.Keys.RequeueStuck.Help().Key+")"))
	}
	failPart := st.Label.Render(c.T("fail injection")+" ") + fail
	if s.FailRate > 0 {
		line2 = append(line2, failPart)
	}
	if i.PoolPause || s.Paused {
		line2 = append(line2, st.Warn.Bold(true).Render("‖ "+c.T("paused")))
	}
	line2 = append(line2, lv(c.T("drain"), drain), lv(c.T("workers"), workers))
	if s.FailRate == 0 {
		line2 = append(line2, failPart)
	}
	return fit(line1, sep, m.w) + "\n" + fit(line2, sep, m.w)
}

// fit joins parts with sep, dropping parts from the end until the line fits
// (the most important facts come first).
func fit(parts []string, sep string, w int) string {
	for n := len(parts); n > 0; n-- {
		s := " " + strings.Join(parts[:n], sep)
		if ansi.StringWidth(s) <= w || n == 1 {
			return common.Fit(s, w)
		}
	}
	return common.Fit("", w)
}
