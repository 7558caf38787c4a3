// Package queues draws the depth of each list of the queue: one row per list
// with its label, its count, a gauge of now and a sparkline of the last minute,
// all scaled to the width of the pane.
package queues

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

// Model is the queues pane. It has no keys of its own.
type Model struct {
	c     common.Common
	w, h  int
	track *metrics.Tracker
}

// New returns the pane.
func New(c common.Common, t *metrics.Tracker) Model { return Model{c: c, track: t} }

// SetSize sets the rectangle the pane fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Full and Compact are the heights the pane is drawn at: pending by priority
// (title, seven rows, the totals line), or pending as one row (title, five).
const (
	Full    = 9
	Compact = 6
)

// Rows is how many lines the pane wants when h are available.
func Rows(h int) int {
	switch {
	case h >= Full:
		return Full
	case h >= Full-1:
		return Full - 1 // without the totals line
	}
	return Compact
}

// countW is the width of a count: 12 345 67 still fits.
const countW = 7

// columns is where a row's parts go at the pane's width.
type columns struct{ label, bar, spark, peak int }

// layout splits the width: the label as wide as the longest, the gauge a third
// of what is left (it compares lists; the chart is the history), and the peak
// of the minute when the pane has room for it.
func (m Model) layout(labels []string) columns {
	col := columns{}
	for _, l := range labels {
		col.label = max(col.label, ansi.StringWidth(l))
	}
	rest := m.w - 1 - col.label - 1 - countW - 1 - 1 - 1
	if m.w >= 100 {
		col.peak = countW + 2 // "↑" and a space before it: "↑100 000" never touches the sparkline
		rest -= col.peak
	}
	rest = max(rest, 4)
	col.bar = min(max(rest/3, 2), 40)
	col.spark = rest - col.bar
	return col
}

// row is one list: its depth key and its label.
type row struct{ key, label string }

func (m Model) rows() []row {
	c := m.c
	if m.h < Full-1 {
		return []row{{"pending", c.T("pending")}, {"processing", c.T("processing")}, {"retry", c.T("retry")},
			{"completed", c.T("completed")}, {"failed", c.T("failed")}}
	}
	return []row{{"high", c.T("pending") + " " + c.T("high")}, {"normal", c.T("pending")},
		{"low", c.T("pending") + " " + c.T("low")}, {"processing", c.T("processing")}, {"retry", c.T("retry")},
		{"completed", c.T("completed")}, {"failed", c.T("failed")}}
}

// View renders the pane.
func (m Model) View() string {
	c, st := m.c, m.c.Styles
	rows := m.rows()
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.label
	}
	col := m.layout(labels)
	cur := m.depths()
	top := 1.0
	for _, r := range rows {
		top = math.Max(top, float64(cur[r.key]))
	}
	lines := []string{m.title(col)}
	for _, r := range rows {
		lines = append(lines, m.row(r, col, cur[r.key], top))
	}
	if m.h >= Full && len(rows) == 7 {
		t := m.track.Last.Totals
		lines = append(lines, st.Subtle.Render(fmt.Sprintf(" Σ %s %s · %s %s · %s %s",
			c.T("enqueued"), common.Count(t.Enqueued), c.T("retried"), common.Count(t.Retried),
			c.T("recovered"), common.Count(t.Recovered))))
	}
	return common.Block(lines, m.w, m.h)
}

// depths is the newest count of every list.
func (m Model) depths() map[string]int64 {
	s := m.track.Last
	return map[string]int64{
		"high": s.PendingHigh, "normal": s.Pending, "low": s.PendingLow, "pending": s.PendingTotal(),
		"processing": s.Processing, "retry": s.Retry, "completed": s.Completed, "failed": s.Failed,
	}
}

// row is one list on one line: label, count, gauge against the fullest list
// now, then its own last minute (scaled to its own peak, printed after it).
func (m Model) row(r row, col columns, n int64, top float64) string {
	c, st := m.c, m.c.Styles
	qs := st.Queue(r.key)
	full, empty := common.Bar(float64(n), top, col.bar)
	vals := m.track.Depth(r.key).Buckets(c.Now(), col.spark)
	line := " " + qs.Render(common.Fit(r.label, col.label)) + " " +
		st.Value.Render(common.FitLeft(common.Count(n), countW)) + " " +
		qs.Render(full) + st.BarEmpty.Render(empty) + " " +
		st.QueueSpark(r.key).Render(common.Sparkline(vals))
	if col.peak > 0 {
		line += st.Subtle.Render(common.FitLeft("↑"+common.Count(max(peak(vals), n)), col.peak))
	}
	return line
}

// peak is the largest value of a sparkline's buckets (0 without data).
func peak(vals []float64) int64 {
	p := 0.0
	for _, v := range vals {
		if !math.IsNaN(v) {
			p = math.Max(p, v)
		}
	}
	return int64(p)
}

// title is the pane's title with each column named where it starts: "now"
// over the gauges, "last minute →" over the sparklines, "↑ peak" over the
// peaks, on the rule.
func (m Model) title(col columns) string {
	c, st := m.c, m.c.Styles
	start := 1 + col.label + 1 + countW + 1
	head := c.PaneTitle(c.T("Queues"), "", false, start)
	ruled := func(label string, w int) string {
		if w <= 0 {
			return ""
		}
		label = ansi.Truncate(label, w, "")
		return st.Muted.Render(label) + st.PaneRule.Render(strings.Repeat("─", w-ansi.StringWidth(label)))
	}
	head += ruled(" "+c.T("now")+" ", col.bar+1) + ruled(" "+c.T("last minute")+" → ", col.spark)
	if col.peak > 0 {
		head += st.PaneRule.Render(" ") + ruled(common.FitLeft("↑ "+c.T("peak"), col.peak-1), col.peak-1)
	}
	return common.Fit(head, m.w)
}
