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

// OpenMsg asks the root to show a task's detail: the one message every
// component sends for that (enter on an event sends it too).
type OpenMsg = common.OpenTaskMsg

// Model is the failed-tasks view.
type Model struct {
	c       common.Common
	w, h    int
	tasks   []queue.TaskInfo
	total   int64 // length of the failed list (tasks may hold fewer: one page)
	loading bool
	err     error
	list    common.List // selection and scroll
}

var _ common.Component[Model] = (*Model)(nil)

// New returns an empty view.
func New(c common.Common) Model {
	return Model{c: c, loading: true, list: common.NewList(true, false)}
}

// SetSize sets the rectangle the view fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h; m.list.SetHeight(m.rows()) }

// SetTasks replaces the list (newest failure first), keeping the selection on
// the same task when it is still there.
func (m *Model) SetTasks(ts []queue.TaskInfo, total int64, err error) {
	m.loading, m.err = false, err
	if err != nil {
		return
	}
	cur := m.Selected()
	m.tasks, m.total = ts, total
	m.list.SetLen(len(ts))
	m.list.Select(0)
	for i, t := range ts {
		if t.ID == cur {
			m.list.Select(i)
		}
	}
}

// Tasks returns the tasks listed.
func (m Model) Tasks() []queue.TaskInfo { return m.tasks }

// Selected is the selected task's id ("" when the list is empty).
func (m Model) Selected() string {
	if i := m.list.Selected(); i >= 0 && i < len(m.tasks) {
		return m.tasks[i].ID
	}
	return ""
}

func (m Model) rows() int { return max(m.h-2, 1) } // title and column header

// Update moves the selection and turns r/R/enter into requests for the root.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.Keys
	var cmd tea.Cmd
	switch {
	case m.list.Keys(k, keys):
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
		start, end := m.list.Window()
		sel := m.list.Selected()
		for i := start; i < end; i++ {
			t := m.tasks[i]
			line := "  " + common.Fit(st.Text.Render(common.Clean(t.ID)), idW) + " " +
				common.Fit(st.Muted.Render(common.Clean(t.Name)), nameW) + " " +
				st.Warn.Render(common.FitLeft(fmt.Sprintf("%d/%d", t.Attempts, t.MaxAttempts), attW)) + "  " +
				st.Error.Render(common.Fit(common.CutWords(common.Clean(t.Error), errW), errW))
			line = common.Fit(line, m.w)
			if i == sel {
				// Plain text under the selection: nested colours would cut the highlight.
				line = st.Selected.Render(common.Fit("▸"+ansi.Strip(line)[1:], m.w))
			}
			lines = append(lines, line)
		}
	}
	return common.Block(lines, m.w, m.h)
}
