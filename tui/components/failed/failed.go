// Package failed lists the dead letters with their last error and attempts, and
// lets the operator requeue one or all of them.
package failed

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// RequeueMsg asks the root to requeue tasks (all of them when IDs is nil).
type RequeueMsg struct{ IDs []string }

// OpenMsg asks the root to show a task's detail.
type OpenMsg struct{ ID string }

// Model is the failed-tasks view.
type Model struct {
	c       common.Common
	w, h    int
	tasks   []queue.TaskInfo
	total   int64 // length of the failed list (tasks may hold fewer: one page)
	loading bool
	err     error
	sel     int
	off     int
}

// New returns an empty view.
func New(c common.Common) Model { return Model{c: c, loading: true} }

// SetSize sets the rectangle the view fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h; m.clamp() }

// SetTasks replaces the list (newest failure first), keeping the selection on
// the same task when it is still there.
func (m *Model) SetTasks(ts []queue.TaskInfo, total int64, err error) {
	m.loading, m.err = false, err
	if err != nil {
		return
	}
	cur := ""
	if m.sel < len(m.tasks) {
		cur = m.tasks[m.sel].ID
	}
	m.tasks, m.total = ts, total
	m.sel = 0
	for i, t := range ts {
		if t.ID == cur {
			m.sel = i
		}
	}
	m.clamp()
}

// Tasks returns the tasks listed.
func (m Model) Tasks() []queue.TaskInfo { return m.tasks }

// Selected is the selected task's id ("" when the list is empty).
func (m Model) Selected() string {
	if m.sel < len(m.tasks) {
		return m.tasks[m.sel].ID
	}
	return ""
}

func (m Model) rows() int { return max(m.h-2, 1) } // title and column header

func (m *Model) clamp() {
	m.sel = min(max(m.sel, 0), max(len(m.tasks)-1, 0))
	if m.sel < m.off {
		m.off = m.sel
	}
	if m.sel >= m.off+m.rows() {
		m.off = m.sel - m.rows() + 1
	}
	m.off = common.Scroll(m.off, len(m.tasks), m.rows())
}

// Update moves the selection and turns r/R/enter into requests for the root.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.Keys
	var cmd tea.Cmd
	switch {
	case key.Matches(k, keys.Up):
		m.sel--
	case key.Matches(k, keys.Down):
		m.sel++
	case key.Matches(k, keys.PageUp):
		m.sel -= m.rows()
	case key.Matches(k, keys.PageDown):
		m.sel += m.rows()
	case key.Matches(k, keys.Top):
		m.sel = 0
	case key.Matches(k, keys.Bottom):
		m.sel = len(m.tasks) - 1
	case key.Matches(k, keys.RequeueAll):
		cmd = func() tea.Msg { return RequeueMsg{} }
	case key.Matches(k, keys.RequeueOne):
		if id := m.Selected(); id != "" {
			cmd = func() tea.Msg { return RequeueMsg{IDs: []string{id}} }
		}
	case key.Matches(k, keys.Enter):
		if id := m.Selected(); id != "" {
			cmd = func() tea.Msg { return OpenMsg{ID: id} }
		}
	}
	m.clamp()
	return m, cmd
}

// ShortHelp is the view's own keys.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Up, k.Down, k.RequeueOne, k.RequeueAll, k.Enter, k.Back}
}

// FullHelp groups the same keys.
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View renders the list.
func (m Model) View() string {
	c, st := m.c, m.c.Styles
	note := fmt.Sprintf("%d", m.total)
	if int64(len(m.tasks)) < m.total {
		note = fmt.Sprintf("%d/%d", len(m.tasks), m.total)
	}
	lines := []string{c.PaneTitle(c.T("Failed tasks"), note, true, m.w)}
	switch {
	case m.err != nil:
		lines = append(lines, st.Error.Render("   "+common.Clean(m.err.Error())))
	case m.loading:
		lines = append(lines, st.Muted.Render("   "+c.T("loading…")))
	case len(m.tasks) == 0:
		lines = append(lines, st.OK.Render("   "+c.T("no failed tasks")))
	default:
		idW, nameW, attW := 22, 18, 9
		if m.w < 100 {
			idW, nameW = 15, 12
		}
		errW := max(m.w-idW-nameW-attW-10, 10)
		lines = append(lines, st.ColHeader.Render("  "+common.Fit("id", idW)+" "+common.Fit(c.T("name"), nameW)+" "+
			common.FitLeft(c.T("attempts"), attW)+"  "+common.Fit(c.T("last error"), errW)))
		end := min(m.off+m.rows(), len(m.tasks))
		for i := m.off; i < end; i++ {
			t := m.tasks[i]
			line := "  " + common.Fit(st.Text.Render(common.Clean(t.ID)), idW) + " " +
				common.Fit(st.Muted.Render(common.Clean(t.Name)), nameW) + " " +
				st.Warn.Render(common.FitLeft(fmt.Sprintf("%d/%d", t.Attempts, t.MaxAttempts), attW)) + "  " +
				st.Error.Render(common.Fit(common.Clean(t.Error), errW))
			line = common.Fit(line, m.w)
			if i == m.sel {
				// Plain text under the selection: nested colours would cut the highlight.
				line = st.Selected.Render(common.Fit("▸"+ansi.Strip(line)[1:], m.w))
			}
			lines = append(lines, line)
		}
	}
	return common.Block(lines, m.w, m.h)
}
