// Package workers draws every worker registered in Redis, embedded or remote.
// With a few workers it is a table with every column; with a classroom of 30 or
// more it switches to compact cells in as many columns as fit, pages when even
// that overflows, sorts by a key the teacher cycles, and offers a leaderboard.
package workers

import (
	"cmp"
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

// Sort orders the workers.
type Sort int

const (
	ByStart   Sort = iota // registration order, as Redis returns them
	ByBusiest             // tasks/s now, then tasks done
	BySlowest             // mean time per task
	ByNewest              // most recently started first
	numSorts
)

func (s Sort) label() string {
	return [...]string{"start order", "busiest", "slowest", "newest first"}[s]
}

// Model is the workers pane.
type Model struct {
	c       common.Common
	w, h    int
	focused bool
	track   *metrics.Tracker
	rows    []queue.WorkerStat // sorted
	sort    Sort
	board   bool
	// list scrolls by lines: one worker a line in the table, a row of cells
	// in the grid (Refresh and SetSize keep its length and height in step)
	list common.List
	off  int // first worker shown (list's first line × workers a line)

	// set by tableView on its copy while it renders
	hostShown bool // the host/pid column fits: it carries the observed mark
	idW       int
}

var _ common.Component[Model] = (*Model)(nil)

// New returns the pane.
func New(c common.Common, t *metrics.Tracker) Model {
	return Model{c: c, track: t, list: common.NewList(false, false)}
}

// SetSize sets the rectangle the pane fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h; m.clamp() }

// ShortHelp is the pane's own keys.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Up, k.Down, k.Sort, k.Leaderboard}
}

// FullHelp groups the same keys.
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// SetFocused marks the pane as the one keys scroll.
func (m *Model) SetFocused(f bool) { m.focused = f }

// Refresh takes the workers of the newest snapshot.
func (m *Model) Refresh() {
	m.rows = slices.Clone(m.track.Last.Workers)
	m.sortRows()
	m.clamp()
}

// Sort is the current order.
func (m Model) Sort() Sort { return m.sort }

// Leaderboard reports whether the leaderboard is shown.
func (m Model) Leaderboard() bool { return m.board }

// Update handles the pane's keys: sort and leaderboard always, scrolling when
// focused.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Sort):
		m.sort = (m.sort + 1) % numSorts
		m.sortRows()
		m.clamp()
		m.list.Top()
	case key.Matches(k, keys.Leaderboard):
		m.board = !m.board
		m.sortRows()
		m.clamp()
		m.list.Top()
	case !m.focused:
	default:
		m.clamp()
		m.list.Keys(k, keys)
	}
	m.clamp()
	return m, nil
}

func (m *Model) sortRows() {
	rate := func(w queue.WorkerStat) float64 { r, _, _ := m.track.Worker(w.ID); return r }
	var f func(a, b queue.WorkerStat) int
	switch m.sort {
	case ByBusiest:
		f = func(a, b queue.WorkerStat) int {
			return cmp.Or(cmp.Compare(rate(b), rate(a)), cmp.Compare(b.Processed, a.Processed))
		}
	case BySlowest:
		f = func(a, b queue.WorkerStat) int { return cmp.Compare(b.MeanTime(), a.MeanTime()) }
	case ByNewest:
		f = func(a, b queue.WorkerStat) int { return b.StartedAt.Compare(a.StartedAt) }
	default:
		f = func(a, b queue.WorkerStat) int { return a.StartedAt.Compare(b.StartedAt) }
	}
	if m.board {
		f = func(a, b queue.WorkerStat) int { return cmp.Compare(b.Processed, a.Processed) }
	}
	// Cleanly stopped workers stay listed for a while; they sink to the end so
	// the ones at work (and the gone ones, which matter) stay on top.
	stopped := func(w queue.WorkerStat) int {
		if w.State == queue.WorkerStop {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(m.rows, func(a, b queue.WorkerStat) int {
		return cmp.Or(cmp.Compare(stopped(a), stopped(b)), f(a, b), cmp.Compare(a.ID, b.ID))
	})
}

// layout decides how the workers fit: one per line with every column, or
// compact cells in cols columns.
func (m Model) layout() (cols int, table bool) {
	if m.board {
		if len(m.rows) <= m.bodyRows() {
			return 1, false
		}
		return max(m.w/44, 1), false
	}
	if len(m.rows) <= m.bodyRows()-1 || m.w < 2*cellMin {
		return 1, true
	}
	return max(m.w/cellMin, 1), false
}

func (m Model) perLine() int { c, _ := m.layout(); return c }

// Need is how many lines the pane would use to show all n workers in a pane
// w wide when at most avail lines are free: a table when it fits, else the
// compact grid.
func Need(n, w, avail int, board bool) int {
	switch {
	case n == 0:
		return 3
	case board && n+1 <= avail:
		return n + 1
	case board:
		cols := max(w/44, 1)
		return (n+cols-1)/cols + 1
	case n+2 <= avail || w < 2*cellMin:
		return n + 2
	}
	cols := max(w/cellMin, 1)
	return (n+cols-1)/cols + 1
}

func (m Model) bodyRows() int { return max(m.h-1, 0) }

// capacity is how many workers one screen of the pane shows.
func (m Model) capacity() int {
	cols, table := m.layout()
	rows := m.bodyRows()
	if table {
		rows-- // column header
	}
	return max(rows, 0) * cols
}

// clamp sets the list's length (lines of workers) and height (lines one
// screen shows) from the layout, and the first worker shown from its position.
func (m *Model) clamp() {
	per := m.perLine()
	lines := max(m.capacity()/per, 1)
	m.list.SetHeight(lines)
	m.list.SetLen((len(m.rows) + per - 1) / per)
	m.off = m.list.Offset() * per
}

// View renders the pane.
func (m Model) View() string {
	c := m.c
	busy, gone, observed := 0, 0, 0
	for _, w := range m.rows {
		if w.Observed {
			observed++
		}
		switch w.State {
		case queue.WorkerBusy:
			busy++
		case queue.WorkerGone:
			gone++
		}
	}
	title := c.T("Workers")
	if m.board {
		title = c.T("Leaderboard")
	}
	note := fmt.Sprintf("%d · %d %s", len(m.rows), busy, c.N("busy", busy))
	if gone > 0 {
		note += fmt.Sprintf(" · %d %s", gone, c.N("gone", gone))
	}
	if observed > 0 {
		// The legend of the mark: these workers were seen, not registered.
		note += " · " + common.ObservedMark + " " + fmt.Sprintf(c.T("%d observed"), observed)
	}
	if !m.board {
		note += " · " + c.T("sort") + ": " + c.T(m.sort.label())
	}
	if capa := m.capacity(); len(m.rows) > capa && capa > 0 {
		note += fmt.Sprintf(" · %d–%d/%d", m.off+1, min(m.off+capa, len(m.rows)), len(m.rows))
	}
	lines := []string{c.PaneTitle(title, note, m.focused, m.w)}
	switch {
	case len(m.rows) == 0:
		lines = append(lines, "", c.Styles.Muted.Render("   "+c.T("no workers yet")+" — "+c.T("start one with: imgq worker")))
	case m.board:
		lines = append(lines, m.boardView()...)
	default:
		if _, table := m.layout(); table {
			lines = append(lines, m.tableView()...)
		} else {
			lines = append(lines, m.gridView()...)
		}
	}
	return common.Block(lines, m.w, m.h)
}

// visible returns the workers on screen, laid out column-major in cols
// columns of rows lines (reading down the first column, then the next, like a
// class list).
func (m Model) visible(cols, rows int) [][]queue.WorkerStat {
	out := make([][]queue.WorkerStat, rows)
	end := min(m.off+cols*rows, len(m.rows))
	for i := m.off; i < end; i++ {
		j := i - m.off
		r := j % rows
		out[r] = append(out[r], m.rows[i])
	}
	return out
}
