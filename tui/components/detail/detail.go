// Package detail shows the whole record of one task: payload, status, attempts,
// worker, timestamps, error, result and output file.
package detail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// Model is the task detail view.
type Model struct {
	c     common.Common
	w, h  int
	query string
	task  *queue.TaskInfo
	err   error
	off   int
}

// New returns an empty view.
func New(c common.Common) Model { return Model{c: c} }

// SetSize sets the rectangle the view fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetLoading shows that query is being looked up.
func (m *Model) SetLoading(query string) { m.query, m.task, m.err, m.off = query, nil, nil, 0 }

// SetTask shows the result of the lookup.
func (m *Model) SetTask(t queue.TaskInfo, err error) {
	m.err, m.off = err, 0
	if err == nil {
		m.task = &t
	}
}

// Task is the task shown, if any.
func (m Model) Task() *queue.TaskInfo { return m.task }

// Update scrolls a long record.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Up):
		m.off--
	case key.Matches(k, keys.Down):
		m.off++
	case key.Matches(k, keys.PageUp):
		m.off -= m.h - 2
	case key.Matches(k, keys.PageDown):
		m.off += m.h - 2
	case key.Matches(k, keys.Top):
		m.off = 0
	}
	m.off = common.Scroll(m.off, len(m.body()), m.h-1)
	return m, nil
}

// ShortHelp is the view's own keys.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Up, k.Down, k.Find, k.Back}
}

// FullHelp groups the same keys.
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View renders the record.
func (m Model) View() string {
	c := m.c
	title := c.T("Task") + " " + common.Clean(m.query)
	if m.task != nil {
		title = c.T("Task") + " " + common.Clean(m.task.ID)
	}
	lines := []string{c.PaneTitle(title, "", true, m.w)}
	body := m.body()
	end := min(m.off+m.h-1, len(body))
	lines = append(lines, body[min(m.off, end):end]...)
	return common.Block(lines, m.w, m.h)
}

func (m Model) body() []string {
	c, st := m.c, m.c.Styles
	switch {
	case m.err != nil:
		return []string{"", st.Error.Render("   " + common.Clean(m.err.Error()))}
	case m.task == nil:
		return []string{"", st.Muted.Render("   " + c.T("loading…"))}
	}
	t := m.task
	var out []string
	field := func(label, value string, vs interface{ Render(...string) string }) {
		if value == "" {
			return
		}
		out = append(out, "  "+st.Label.Render(common.Fit(c.T(label), 18))+vs.Render(value))
	}
	ts := func(x time.Time) string {
		if x.IsZero() {
			return ""
		}
		return x.In(c.Loc).Format("2006-01-02 15:04:05.000") + st.Muted.Render("  ("+c.Ago(x)+")")
	}
	statusSt := st.Queue(string(t.Status))
	field("name", common.Clean(t.Name), st.Value)
	field("status", common.Clean(string(t.Status)), statusSt.Bold(true))
	field("priority", common.Clean(string(t.Priority)), st.Text)
	field("attempts", fmt.Sprintf("%d/%d", t.Attempts, t.MaxAttempts), st.Text)
	field("worker", common.Clean(t.Worker), st.Text)
	field("created", ts(t.CreatedAt), st.Text)
	field("started", ts(t.StartedAt), st.Text)
	field("finished", ts(t.FinishedAt), st.Text)
	if t.BlobBytes > 0 {
		field("input bytes", common.Count(t.BlobBytes), st.Text)
	}
	field("error", common.Clean(t.Error), st.Error)
	if f := outputFile(t.Result); f != "" {
		field("output file", common.Clean(f), st.OK)
	}
	block := func(label string, raw []byte) {
		if len(raw) == 0 {
			return
		}
		out = append(out, "", "  "+st.Label.Render(c.T(label)))
		for _, l := range common.CleanLines(pretty(raw)) {
			out = append(out, "    "+st.Text.Render(l))
		}
	}
	block("payload", t.Payload)
	block("result", t.Result)
	known := []string{"name", "priority", "status", "payload", "attempts", "max_attempts", "worker",
		"error", "result", "created_at", "started_at", "finished_at", "blob_bytes"}
	var extra []string
	for k := range t.Fields {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		out = append(out, "", "  "+st.Label.Render(c.T("other fields")))
		for _, k := range extra {
			out = append(out, "    "+st.Muted.Render(common.Fit(common.Clean(k), 18))+st.Text.Render(common.Clean(t.Fields[k])))
		}
	}
	return out
}

// pretty indents JSON; anything else is shown as text.
func pretty(raw []byte) string {
	var b bytes.Buffer
	if json.Valid(raw) && json.Indent(&b, raw, "", "  ") == nil {
		return b.String()
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD")
}

// outputFile digs the output path out of a result, whatever the pipeline
// called the field.
func outputFile(raw []byte) string {
	var r map[string]any
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	for _, k := range []string{"output", "output_path", "OutputPath", "Output", "path"} {
		if s, ok := r[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
