// Package footer is the bottom of the screen: the keys (bubbles/help), and
// above them the result of the last action while it shows; or a y/n
// question; or the task-id prompt (bubbles/textinput).
package footer

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/tui/common"
)

// StatusFor is how long an action's result stays in the footer.
const StatusFor = 5 * time.Second

// maxStatusRows bounds a long result (an error from Redis) so it cannot eat
// the panes above it.
const maxStatusRows = 3

// Model is the footer.
type Model struct {
	c       common.Common
	w       int
	Help    help.Model
	status  string
	isErr   bool
	until   time.Time
	confirm string // a question waiting for y/n
	input   textinput.Model
	prompt  bool
}

// maxInput bounds the prompt: an id is short; a stray paste is not.
const maxInput = 200

// New returns a footer.
func New(c common.Common) Model {
	h := help.New()
	h.Styles = c.Styles.Help
	return Model{c: c, Help: h, input: newInput(c)}
}

// newInput is the task-id prompt: a static cursor (no blink ticks to own),
// styled from the dashboard's sheet.
func newInput(c common.Common) textinput.Model {
	st := c.Styles
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = c.T("task id or prefix")
	in.CharLimit = maxInput
	// The terminal's own paste arrives as a tea.PasteMsg; ctrl+v would run a
	// clipboard program on the machine imgq runs on (a viewer's keys must
	// never reach that).
	in.KeyMap.Paste.SetEnabled(false)
	in.SetStyles(inputStyles(st))
	return in
}

// inputStyles are the prompt's styles from the sheet.
func inputStyles(st *common.Styles) textinput.Styles {
	state := textinput.StyleState{Text: st.Text, Placeholder: st.Subtle, Suggestion: st.Subtle, Prompt: st.Prompt}
	return textinput.Styles{Focused: state, Blurred: state, Cursor: textinput.CursorStyle{Color: st.Pal.Accent}}
}

// Restyle takes the styles from the shared sheet again after it changed (the
// theme followed the terminal's background): help and the prompt keep copies.
func (m *Model) Restyle() {
	m.Help.Styles = m.c.Styles.Help
	m.input.SetStyles(inputStyles(m.c.Styles))
}

// SetSize sets the width; the height follows from what is shown (Height).
func (m *Model) SetSize(w, _ int) {
	m.w = w
	m.Help.SetWidth(w - 1)
	// The line: a space, the prompt, the text, the cursor cell, two spaces,
	// the hints.
	m.input.SetWidth(max(w-1-ansi.StringWidth(m.input.Prompt)-1-2-ansi.StringWidth(m.promptHints()), 10))
}

// Height is the lines View returns: the keys, and above them the result of
// the last action while it shows. It changes only in SetStatus and Expire, so
// the layout made from it holds until the next Update.
func (m Model) Height() int { return 1 + len(m.statusLines()) }

// SetStatus shows the result of an action for StatusFor.
func (m *Model) SetStatus(s string, isErr bool) {
	m.status, m.isErr, m.until = common.Clean(s), isErr, m.c.Now().Add(StatusFor)
}

// Expire clears the result once its time is up. The root model calls it on
// every Update, never View, so a frame never disagrees with the layout.
func (m *Model) Expire() {
	if m.status != "" && m.c.Now().After(m.until) {
		m.status = ""
	}
}

// Status returns the current status text ("" once expired).
func (m Model) Status() string { return m.status }

// Ask shows a y/n question; Answered clears it.
func (m *Model) Ask(q string) { m.confirm = q }

// Asking reports whether a question is waiting.
func (m Model) Asking() bool { return m.confirm != "" }

// Answered clears the question.
func (m *Model) Answered() { m.confirm = "" }

// OpenPrompt starts reading a task id.
func (m *Model) OpenPrompt() {
	m.prompt = true
	m.input.Reset()
	m.input.Focus() // a static cursor: no blink command to run
}

// ClosePrompt ends reading and returns what was typed.
func (m *Model) ClosePrompt() string {
	m.prompt = false
	m.input.Blur()
	return strings.TrimSpace(m.input.Value())
}

// Prompting reports whether the prompt has the keyboard.
func (m Model) Prompting() bool { return m.prompt }

// UpdateInput feeds typed or pasted text to the prompt. A task id is one line
// of printable text without spaces, so the text is cleaned before the input
// sees it (a pasted escape sequence cannot reach the screen through here).
func (m Model) UpdateInput(msg tea.Msg) Model {
	switch v := msg.(type) {
	case tea.KeyPressMsg:
		v.Text = idText(v.Text)
		msg = v
	case tea.PasteMsg:
		v.Content = idText(v.Content)
		msg = v
	}
	m.input, _ = m.input.Update(msg) // a static cursor returns no command
	return m
}

// idText is s as it may enter the prompt: cleaned, without spaces.
func idText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' {
			return -1
		}
		return r
	}, common.Clean(s))
}

// View renders the footer: the result of the last action above the keys of
// km, then always the keys in tail (help and quit) at the right edge, so they
// never fall off a narrow screen.
func (m Model) View(km help.KeyMap, tail ...key.Binding) string {
	st := m.c.Styles
	switch {
	case m.confirm != "":
		return common.Fit(" "+st.Confirm.Render(m.confirm), m.w)
	case m.prompt:
		hints := st.Subtle.Render(m.promptHints())
		left := common.Fit(" "+m.input.View(), m.w-ansi.StringWidth(hints)-2)
		return common.Fit(left+"  "+hints, m.w)
	}
	lines := m.statusLines()
	h := m.Help
	h.SetWidth(0)
	right := h.ShortHelpView(tail)
	left := common.Fit(" "+shortHints(h, km.ShortHelp(), max(m.w-ansi.StringWidth(right)-4, 0)), m.w-ansi.StringWidth(right)-2) + " "
	return strings.Join(append(lines, common.Fit(left+right, m.w)), "\n")
}

// shortHints is the short help of bindings in at most w cells: whole hints,
// then " …" when some are left out. bubbles/help alone is not enough: when
// its " …" does not fit after the last whole hint it adds the next hint
// anyway, past the width, and Fit then cut that hint mid-word ("m MONIT…").
func shortHints(h help.Model, bindings []key.Binding, w int) string {
	h.SetWidth(0)
	if all := h.ShortHelpView(bindings); ansi.StringWidth(all) <= w {
		return all
	}
	tail := " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
	for n := len(bindings) - 1; n > 0; n-- {
		if s := h.ShortHelpView(bindings[:n]); ansi.StringWidth(s)+ansi.StringWidth(tail) <= w {
			return s + tail
		}
	}
	return ""
}

// promptHints are the keys that end the prompt.
func (m Model) promptHints() string {
	k := m.c.Keys
	return k.Enter.Help().Key + " " + k.Enter.Help().Desc + " • " + k.Back.Help().Key + " " + k.Back.Help().Desc
}

// statusLines is the result of the last action, wrapped to the width, up to
// maxStatusRows lines (the last cut with …); none when there is none.
func (m Model) statusLines() []string {
	if m.status == "" || m.confirm != "" || m.prompt {
		return nil
	}
	st, mark := m.c.Styles.Notice, "✓ "
	if m.isErr {
		st, mark = m.c.Styles.Error.Bold(true), "✕ "
	}
	w := max(m.w-4, 10)
	lines := strings.Split(ansi.Wrap(m.status, w, " "), "\n")
	if len(lines) > maxStatusRows {
		lines = lines[:maxStatusRows]
		lines[maxStatusRows-1] = ansi.Truncate(lines[maxStatusRows-1], w-1, "") + "…"
	}
	for i, l := range lines {
		if i == 0 {
			l = mark + l
		} else {
			l = "  " + l
		}
		lines[i] = common.Fit(" "+st.Render(l), m.w)
	}
	return lines
}
