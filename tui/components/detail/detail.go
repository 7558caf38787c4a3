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
	"charm.land/bubbles/v2/viewport"
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
	// vp scrolls the record; its content is laid out again on every view,
	// since "3s ago" moves on.
	vp viewport.Model
}

var _ common.Component[Model] = (*Model)(nil)

// New returns an empty view.
func New(c common.Common) Model { return Model{c: c, vp: viewport.New()} }

// SetSize sets the rectangle the view fills.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.vp.SetWidth(max(w, 1))
	m.vp.SetHeight(max(h-1, 1))
}

// SetLoading shows that query is being looked up.
func (m *Model) SetLoading(query string) {
	m.query, m.task, m.err = query, nil, nil
	m.vp.SetYOffset(0)
}

// SetTask shows the result of the lookup.
func (m *Model) SetTask(t queue.TaskInfo, err error) {
	m.err = err
	if err == nil {
		m.task = &t
	}
	m.vp.SetYOffset(0)
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
	m.vp.SetContentLines(m.body())
	switch {
	case key.Matches(k, keys.Up):
		m.vp.ScrollUp(1)
	case key.Matches(k, keys.Down):
		m.vp.ScrollDown(1)
	case key.Matches(k, keys.PageUp):
		m.vp.PageUp()
	case key.Matches(k, keys.PageDown):
		m.vp.PageDown()
	case key.Matches(k, keys.Top):
		m.vp.GotoTop()
	case key.Matches(k, keys.Bottom):
		m.vp.GotoBottom()
	}
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
	note := ""
	vp := m.vp
	vp.SetContentLines(m.body())
	if vp.TotalLineCount() > vp.Height() {
		note = fmt.Sprintf("%d–%d/%d", vp.YOffset()+1, min(vp.YOffset()+vp.Height(), vp.TotalLineCount()), vp.TotalLineCount())
	}
	lines := []string{c.PaneTitle(title, note, true, m.w)}
	lines = append(lines, strings.Split(vp.View(), "\n")...)
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
	// A long value (an error) wraps between words under itself, every word
	// readable.
	field := func(label, value string, vs interface{ Render(...string) string }) {
		if value == "" {
			return
		}
		head := "  " + st.Label.Render(common.Fit(c.T(label), 18))
		for i, l := range wrapStyled(value, max(m.w-21, 20)) {
			if i > 0 {
				head = strings.Repeat(" ", 20)
			}
			out = append(out, head+vs.Render(l))
		}
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

// wrapStyled wraps a value by words; a value with styles of its own (a time
// with its muted "ago") is one line, as it is short.
func wrapStyled(v string, w int) []string {
	if strings.Contains(v, "\x1b") {
		return []string{v}
	}
	return common.WrapWords(v, w)
}
