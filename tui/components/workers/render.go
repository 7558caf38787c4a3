package workers

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// column is one column of the full table. Lower prio survives longer when the
// pane is narrow (the sparkline goes first: tasks/s says the same in a
// number); flex takes whatever width is left. The current task is at least
// wide enough for its id and a short name.
type column struct {
	title string
	w     int
	prio  int
	right bool
	flex  bool
	cell  func(m Model, w queue.WorkerStat) string
}

// cellMin is the width of one compact worker cell.
const cellMin = 46

// idWidth is the id column: as wide as the longest id (a student's name, up to
// 24 cells shown whole from 110 columns), never narrower than 8, plus the
// state icon.
func (m Model) idWidth() int {
	n := 8
	for _, w := range m.rows {
		n = max(n, ansi.StringWidth(common.Clean(w.ID)))
	}
	mark := 0
	if m.observedNoHost() {
		mark = 2 // room for the mark after the id
	}
	if m.w < 110 {
		return min(n+mark, 14) + 2 // at 80 columns the task and counters come first
	}
	return min(n, 24) + mark + 2
}

// observedNoHost: an observed worker is listed; without the host column its
// mark goes after the id.
func (m Model) observedNoHost() bool {
	for _, w := range m.rows {
		if w.Observed {
			return true
		}
	}
	return false
}

func (m Model) columns() []column {
	return []column{
		{title: "id", w: m.idWidth(), cell: func(m Model, w queue.WorkerStat) string {
			icon := m.c.Styles.State(w.State).Render(common.StateIcon(w.State) + " ")
			id := m.c.Styles.Text.Render(common.Clean(w.ID))
			if w.Observed && !m.hostShown {
				// No host column to say so: the mark follows the id, which
				// is cut before the mark is.
				return icon + common.Marked(id, m.c.Styles.Subtle.Render(common.ObservedMark), m.idW-2)
			}
			return icon + id
		}},
		{title: "host/pid", w: 18, prio: 5, cell: func(m Model, w queue.WorkerStat) string {
			if w.Observed {
				// imgq did not start it: host and pid are unknown.
				return m.c.Styles.Subtle.Render(common.ObservedMark + " " + m.c.T("course worker"))
			}
			return m.c.Styles.Muted.Render(fmt.Sprintf("%s/%d", common.Clean(w.Host), w.PID))
		}},
		{title: "state", w: 7, cell: func(m Model, w queue.WorkerStat) string {
			return m.c.Styles.State(w.State).Render(m.c.T(string(w.State)))
		}},
		{title: "current task", w: 22, flex: true, cell: func(m Model, w queue.WorkerStat) string {
			if w.Current == "" && w.Active > 0 {
				// Several slots, the one named has just finished: the next
				// heartbeat names another; until then, how many it holds.
				return m.c.Styles.Muted.Render(fmt.Sprintf(m.c.T("%d tasks"), w.Active))
			}
			if w.Current == "" {
				return m.c.Styles.Subtle.Render("–")
			}
			// The id's first 13 characters (task- and 8 hex) are enough for /
			// to find it; the rest of the room goes to the task's name.
			s := m.c.Styles.Text.Render(shortID(common.Clean(w.Current)))
			if n := common.Clean(w.CurrentName); n != "" {
				s += " " + m.c.Styles.Muted.Render(n)
			}
			return s
		}},
		{title: "for", w: 6, right: true, cell: func(m Model, w queue.WorkerStat) string {
			if w.Current == "" {
				return ""
			}
			return m.c.Styles.Text.Render(common.Duration(w.CurrentFor))
		}},
		{title: "done", w: 6, right: true, cell: func(m Model, w queue.WorkerStat) string {
			return m.c.Styles.Value.Render(common.Count(w.Processed))
		}},
		// Tasks dead-lettered, not failed attempts: 11 failed attempts with
		// one task lost read as 11 lost.
		{title: "dead", w: 5, right: true, prio: 1, cell: func(m Model, w queue.WorkerStat) string {
			if w.Dead == 0 {
				return m.c.Styles.Subtle.Render("0")
			}
			return m.c.Styles.Error.Render(common.Count(w.Dead))
		}},
		{title: "retried", w: 7, right: true, prio: 2, cell: func(m Model, w queue.WorkerStat) string {
			if w.Retried == 0 {
				return m.c.Styles.Subtle.Render("0")
			}
			return m.c.Styles.Warn.Render(common.Count(w.Retried))
		}},
		{title: "tasks/s", w: 8, right: true, prio: 1, cell: func(m Model, w queue.WorkerStat) string {
			r, _, _ := m.track.Worker(w.ID)
			return m.c.Styles.Text.Render(common.Rate(r))
		}},
		{title: "", w: 12, prio: 6, cell: func(m Model, w queue.WorkerStat) string {
			_, _, h := m.track.Worker(w.ID)
			return m.c.Styles.Spark.Render(common.Sparkline(h.Buckets(m.c.Now(), 12)))
		}},
		{title: "mean", w: 6, right: true, prio: 4, cell: func(m Model, w queue.WorkerStat) string {
			if w.Processed+w.Failed == 0 {
				return m.c.Styles.Subtle.Render("–")
			}
			return m.c.Styles.Text.Render(common.Duration(w.MeanTime()))
		}},
		{title: "util", w: 5, right: true, prio: 3, cell: func(m Model, w queue.WorkerStat) string {
			_, u, _ := m.track.Worker(w.ID)
			return utilStyle(m, u).Render(common.Percent(u))
		}},
	}
}

func utilStyle(m Model, u float64) interface{ Render(...string) string } {
	switch {
	case u >= 0.8:
		return m.c.Styles.OK
	case u >= 0.3:
		return m.c.Styles.Text
	}
	return m.c.Styles.Muted
}

// fitColumns drops the least important columns until the table fits in w and
// gives the rest to the flexible one.
func fitColumns(cols []column, w int) []column {
	width := func(cs []column) int {
		n := 1 // left margin
		for _, c := range cs {
			n += c.w + 1
		}
		return n
	}
	for width(cols) > w {
		worst := -1
		for i, c := range cols {
			if c.prio > 0 && (worst < 0 || c.prio > cols[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		cols = append(cols[:worst:worst], cols[worst+1:]...)
	}
	if extra := w - width(cols); extra > 0 {
		for i := range cols {
			if cols[i].flex {
				cols[i].w = min(cols[i].w+extra, max(cols[i].w, flexMax))
			}
		}
	}
	return cols
}

// flexMax caps the flexible column (a task id and its file name): on a wide
// screen the rest stays blank at the right edge, rather than putting 100
// cells between a task and how long it has run.
const flexMax = 48

func (m Model) tableView() []string {
	cols := m.columns()
	// A column is at least as wide as its title in the viewer's language
	// ("retried" is "reintentada"): a title is never cut.
	for i := range cols {
		cols[i].w = max(cols[i].w, ansi.StringWidth(m.c.T(cols[i].title)))
	}
	cols = fitColumns(cols, m.w)
	for _, col := range cols {
		switch col.title {
		case "host/pid":
			m.hostShown = true
		case "id":
			m.idW = col.w
		}
	}
	st := m.c.Styles
	head := []string{" "}
	for _, col := range cols {
		t := m.c.T(col.title)
		if col.title == "" {
			t = ""
		}
		if col.right {
			head = append(head, common.FitLeft(t, col.w)+" ")
		} else {
			head = append(head, common.Fit(t, col.w)+" ")
		}
	}
	lines := []string{st.ColHeader.Render(strings.Join(head, ""))}
	rows := m.bodyRows() - 1
	for _, line := range m.visible(1, max(rows, 0)) {
		for _, w := range line {
			var b strings.Builder
			b.WriteString(" ")
			for _, col := range cols {
				cell := col.cell(m, w)
				if col.right {
					b.WriteString(common.FitLeft(cell, col.w))
				} else {
					b.WriteString(common.Fit(cell, col.w))
				}
				b.WriteString(" ")
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}

// gridView is the classroom layout: compact cells, column-major.
func (m Model) gridView() []string {
	cols, _ := m.layout()
	cw := m.w / cols
	st := m.c.Styles
	var lines []string
	for _, line := range m.visible(cols, m.gridRows(cols)) {
		var b strings.Builder
		for _, w := range line {
			r, u, h := m.track.Worker(w.ID)
			idW := cw - 36
			id := common.Fit(st.Text.Render(common.Clean(w.ID)), idW)
			if w.Observed {
				id = common.Marked(st.Text.Render(common.Clean(w.ID)), st.Subtle.Render(common.ObservedMark), idW)
			}
			cell := " " + st.State(w.State).Render(common.StateIcon(w.State)) + " " + id +
				st.Value.Render(common.FitLeft(common.Count(w.Processed), 5)) + st.OK.Render("✓") +
				common.FitLeft(failCell(m, w.Dead), 4) +
				st.Text.Render(common.FitLeft(common.Rate(r), 7)) + " " +
				st.Spark.Render(common.Sparkline(h.Buckets(m.c.Now(), 8))) + " " +
				utilStyle(m, u).Render(common.FitLeft(common.Percent(u), 4))
			b.WriteString(common.Fit(cell, cw))
		}
		lines = append(lines, b.String())
	}
	return lines
}

func failCell(m Model, n int64) string {
	if n == 0 {
		return m.c.Styles.Subtle.Render("0✗")
	}
	return m.c.Styles.Error.Render(common.Count(n) + "✗")
}

// boardView ranks workers by tasks done, with a bar each: the class sees who
// carried the batch.
func (m Model) boardView() []string {
	cols, _ := m.layout()
	cw := m.w / cols
	st := m.c.Styles
	top := int64(1)
	for _, w := range m.rows {
		top = max(top, w.Processed)
	}
	rank := make(map[string]int, len(m.rows))
	for i, w := range m.rows {
		rank[w.ID] = i + 1
	}
	var lines []string
	for _, line := range m.visible(cols, m.gridRows(cols)) {
		var b strings.Builder
		for _, w := range line {
			r, _, _ := m.track.Worker(w.ID)
			n := rank[w.ID]
			medal := st.Muted.Render(fmt.Sprintf("%3d.", n))
			if n <= 3 {
				medal = st.BannerKey.Render(fmt.Sprintf("%3d.", n))
			}
			barW := max(cw-36, 4)
			full, empty := common.LineBar(float64(w.Processed), float64(top), barW)
			id := common.Fit(st.State(w.State).Render(common.Clean(w.ID)), 12)
			if w.Observed {
				id = common.Marked(st.State(w.State).Render(common.Clean(w.ID)), st.Subtle.Render(common.ObservedMark), 12)
			}
			cell := medal + " " + id + " " +
				st.Queue("completed").Render(full) + st.BarEmpty.Render(empty) +
				st.Value.Render(common.FitLeft(common.Count(w.Processed), 6)) +
				st.Muted.Render(common.FitLeft(common.Rate(r), 8))
			b.WriteString(common.Fit(cell, cw))
		}
		lines = append(lines, b.String())
	}
	return lines
}

// shortID keeps the part of a task id a person reads and types.
func shortID(id string) string {
	if r := []rune(id); len(r) > 13 {
		return string(r[:13])
	}
	return id
}

// gridRows balances the columns: 32 workers in two columns are 16 and 16, not
// 22 and 10.
func (m Model) gridRows(cols int) int {
	left := len(m.rows) - m.off
	return max(min(m.bodyRows(), (left+cols-1)/cols), 1)
}
