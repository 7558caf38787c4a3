// Package footer is the bottom line: the keys (bubbles/help), the result of
// the last action, a y/n question, or the task-id prompt.
package footer

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/tui/common"
)

// StatusFor is how long an action's result stays in the footer.
const StatusFor = 5 * time.Second

// Model is the footer.
type Model struct {
	c       common.Common
	w       int
	Help    help.Model
	status  string
	isErr   bool
	until   time.Time
	confirm string // a question waiting for y/n
	input   []rune
	prompt  bool
}

// New returns a footer.
func New(c common.Common) Model {
	h := help.New()
	h.Styles = c.Styles.Help
	return Model{c: c, Help: h}
}

// SetSize sets the width; the footer is one line.
func (m *Model) SetSize(w, _ int) {
	m.w = w
	m.Help.SetWidth(w - 1)
}

// SetStatus shows the result of an action for StatusFor.
func (m *Model) SetStatus(s string, isErr bool) {
	m.status, m.isErr, m.until = s, isErr, m.c.Now().Add(StatusFor)
}

// Status returns the current status text ("" once expired).
func (m Model) Status() string {
	if m.c.Now().After(m.until) {
		return ""
	}
	return m.status
}

// Ask shows a y/n question; Answered clears it.
func (m *Model) Ask(q string) { m.confirm = q }

// Asking reports whether a question is waiting.
func (m Model) Asking() bool { return m.confirm != "" }

// Answered clears the question.
func (m *Model) Answered() { m.confirm = "" }

// OpenPrompt starts reading a task id.
func (m *Model) OpenPrompt() {
	m.prompt = true
	m.input = m.input[:0]
}

// ClosePrompt ends reading and returns what was typed.
func (m *Model) ClosePrompt() string {
	m.prompt = false
	return strings.TrimSpace(string(m.input))
}

// maxInput bounds the prompt: an id is short; a stray paste is not.
const maxInput = 200

// Prompting reports whether the prompt has the keyboard.
func (m Model) Prompting() bool { return m.prompt }

// UpdateInput feeds typed or pasted text to the prompt. A task id is one line
// of printable text, so anything else is dropped (a pasted escape sequence
// cannot reach the screen through here either).
func (m Model) UpdateInput(msg tea.Msg) Model {
	var text string
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace":
			if len(m.input) > 0 {
				m.input = m.input[:len(m.input)-1]
			}
			return m
		case "ctrl+u":
			m.input = m.input[:0]
			return m
		}
		text = msg.Text
	case tea.PasteMsg:
		text = msg.Content
	}
	for _, r := range common.Clean(text) {
		if len(m.input) < maxInput && r != ' ' {
			m.input = append(m.input, r)
		}
	}
	return m
}

// View renders the line: the keys of km, then always the keys in tail (help
// and quit) at the right edge, so they never fall off a narrow screen.
func (m Model) View(km help.KeyMap, tail ...key.Binding) string {
	st := m.c.Styles
	switch {
	case m.confirm != "":
		return common.Fit(" "+st.Confirm.Render(m.confirm), m.w)
	case m.prompt:
		in := st.Text.Render(string(m.input))
		if len(m.input) == 0 {
			in = st.Subtle.Render(m.c.T("task id or prefix"))
		}
		return common.Fit(" "+st.Prompt.Render("/ ")+in+st.Prompt.Render("▏"), m.w)
	}
	line := " "
	if s := m.Status(); s != "" {
		ss := st.Notice
		if m.isErr {
			ss = st.Error.Bold(true)
		}
		line += ss.Render(s) + st.Subtle.Render("  │ ")
	}
	h := m.Help
	h.SetWidth(0)
	right := h.ShortHelpView(tail)
	hw := max(m.w-ansi.StringWidth(line)-ansi.StringWidth(right)-4, 0)
	h.SetWidth(hw)
	left := common.Fit(line+h.ShortHelpView(km.ShortHelp()), m.w-ansi.StringWidth(right)-2)
	left += " "
	return common.Fit(left+right, m.w)
}
