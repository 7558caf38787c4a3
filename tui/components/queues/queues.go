// Package queues draws the depth of each list of the queue, with a bar for now
// and a sparkline for the last minute.
package queues

import (
	"fmt"
	"math"
	"strings"

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

// Rows is how many lines the pane wants when h are available: the split view
// of pending by priority needs 8, 9 with the totals line; the compact one 6.
func Rows(h int) int {
	switch {
	case h >= 9:
		return 9
	case h >= 8:
		return 8
	}
	return 6
}

// View renders the pane.
func (m Model) View() string {
	c, st := m.c, m.c.Styles
	rows := []string{"pending", "processing", "retry", "completed", "failed"}
	if m.h >= 8 {
		rows = []string{"high", "normal", "low", "processing", "retry", "completed", "failed"}
	}
	s := m.track.Last
	cur := map[string]int64{
		"high": s.PendingHigh, "normal": s.Pending, "low": s.PendingLow, "pending": s.PendingTotal(),
		"processing": s.Processing, "retry": s.Retry, "completed": s.Completed, "failed": s.Failed,
	}
	top := 1.0
	for _, r := range rows {
		top = math.Max(top, float64(cur[r]))
	}

	// With room to spare (a wide screen with few workers) each sparkline grows
	// to two or three rows: a chart the back of the class can read.
	rowH := 1
	if len(rows) == 7 {
		rowH = min(max((m.h-2)/7, 1), 3)
	}
	labelW, countW := 16, 7
	rest := max(m.w-labelW-countW-4, 4)
	barW := rest * 2 / 5
	if rowH > 1 {
		barW = rest / 4 // the chart is the point of a tall pane
	}
	sparkW := rest - barW
	note := c.T("last minute") + " →"
	lines := []string{c.PaneTitle(c.T("Queues"), note, false, m.w)}
	for _, r := range rows {
		label := c.T(r)
		switch r {
		case "high", "low":
			label = c.T("pending") + " " + c.T(r)
		case "normal":
			label = c.T("pending")
		}
		qs := st.Queue(r)
		full, empty := common.Bar(float64(cur[r]), top, barW)
		spark := common.SparkRows(m.track.Depth(r).Buckets(c.Now(), sparkW), rowH)
		for k, sp := range spark {
			head := strings.Repeat(" ", 1+labelW+countW+1+barW)
			if k == len(spark)-1 {
				head = " " + qs.Render(common.Fit(label, labelW)) +
					st.Value.Render(common.FitLeft(common.Count(cur[r]), countW)) + " " +
					qs.Render(full) + st.BarEmpty.Render(empty)
			}
			lines = append(lines, head+" "+st.QueueSpark(r).Render(sp))
		}
	}
	if m.h >= 2+7*rowH {
		t := s.Totals
		lines = append(lines, st.Subtle.Render(fmt.Sprintf(" Σ %s %s · %s %s · %s %s",
			c.T("enqueued"), common.Count(t.Enqueued), c.T("retried"), common.Count(t.Retried),
			c.T("recovered"), common.Count(t.Recovered))))
	}
	return common.Block(lines, m.w, m.h)
}
