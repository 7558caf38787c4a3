// Package events draws the queue's event stream, newest last, or, in MONITOR
// mode, every command the Redis server runs. Moving up stops following so a
// teacher can point at a line while new ones keep arriving underneath; the
// selected event shows its whole detail and enter opens its task.
package events

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// Keep is how many events (and MONITOR lines) the pane holds for scrolling back.
const Keep = 1000

// buffer is a bounded list with a follow/paused position (common.List). A
// buffer made as a literal ({follow: true}) scrolls without a cursor.
type buffer[T any] struct {
	items   []T
	list    common.List
	ready   bool  // list made (newBuffer, or on first use)
	follow  bool  // mirrors list.Following(), for the panes' notes
	off     int   // mirrors the list's first row while paused
	unseen  int   // arrived while not following
	skipped int64 // dropped to keep the newest Keep
}

func newBuffer[T any](cursor bool) buffer[T] {
	return buffer[T]{list: common.NewList(cursor, true), ready: true, follow: true}
}

// ensure makes the list of a buffer built as a literal.
func (b *buffer[T]) ensure() {
	if !b.ready {
		b.list, b.ready = common.NewList(false, true), true
		b.list.SetLen(len(b.items))
	}
}

func (b *buffer[T]) add(items []T) {
	if len(items) == 0 {
		return
	}
	b.ensure()
	if !b.follow {
		b.unseen += len(items)
	}
	b.items = append(b.items, items...)
	b.list.SetLen(len(b.items))
	if over := len(b.items) - Keep; over > 0 {
		// Under a burst only the newest Keep stay; the rest are counted so the
		// screen says how much it did not show.
		b.items = append(b.items[:0:0], b.items[over:]...)
		b.list.Drop(over)
		b.skipped += int64(over)
	}
	b.sync()
}

// keys moves the position; visible is the rows one window shows.
func (b *buffer[T]) keys(k tea.KeyPressMsg, keys *common.KeyMap, visible int) {
	b.ensure()
	b.list.SetHeight(visible)
	b.list.Keys(k, keys)
	b.sync()
}

func (b *buffer[T]) sync() {
	b.follow, b.off = b.list.Following(), b.list.Offset()
	if b.follow {
		b.unseen = 0
	}
}

// window is the items of one window of visible rows.
func (b *buffer[T]) window(visible int) []T {
	b.ensure()
	b.list.SetHeight(visible)
	s, e := b.list.Window()
	return b.items[s:e]
}

// Model is the events pane.
type Model struct {
	c       common.Common
	w, h    int
	focused bool
	monitor bool
	events  buffer[queue.Event]
	mon     monitorPane // monitor.go
	// the widest task id and worker id seen, so the columns are as wide as
	// their values (a student's name up to 24 cells) and do not jump
	taskW, workerW int
	observed       bool // an observed event was seen: the worker column has its mark
}

var _ common.Component[Model] = (*Model)(nil)

// New returns the pane following the newest events. prefixes are the queue's
// key prefixes (one, or one per shard of a sharded queue), used to recognise
// the dashboard's own polling in MONITOR.
func New(c common.Common, prefixes ...string) Model {
	return Model{c: c, mon: newMonitorPane(prefixes), events: newBuffer[queue.Event](true)}
}

// SetSize sets the rectangle the pane fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetFocused marks the pane as the one keys scroll.
func (m *Model) SetFocused(f bool) { m.focused = f }

// Add appends events (oldest first).
func (m *Model) Add(evs []queue.Event) {
	for _, e := range evs {
		m.taskW = max(m.taskW, ansi.StringWidth(common.Clean(e.Task)))
		m.workerW = max(m.workerW, ansi.StringWidth(common.Clean(e.Worker)))
		m.observed = m.observed || e.Observed
	}
	m.events.add(evs)
}

// Events returns the events held, oldest first.
func (m Model) Events() []queue.Event { return m.events.items }

// Selected is the event under the cursor (the newest while following).
func (m Model) Selected() (queue.Event, bool) {
	l := m.events.list
	l.SetHeight(m.rows())
	if i := l.Selected(); i >= 0 && i < len(m.events.items) {
		return m.events.items[i], true
	}
	return queue.Event{}, false
}

// Following reports whether the events view follows the newest line.
func (m Model) Following() bool {
	if m.monitor {
		return m.mon.buf.follow
	}
	return m.events.follow
}

func (m Model) visible() int { return max(m.h-1, 1) }

// Update handles scrolling (when focused), enter on an event (its task's
// detail) and, in MONITOR mode, the filter key.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.Keys
	if m.monitor && key.Matches(k, keys.OwnReads) {
		m.mon.own.hide = !m.mon.own.hide
		return m, nil
	}
	if !m.focused {
		return m, nil
	}
	if m.monitor {
		m.mon.buf.keys(k, keys, m.visible())
		return m, nil
	}
	if key.Matches(k, keys.Enter) {
		if e, ok := m.Selected(); ok && e.Task != "" {
			id := e.Task
			return m, func() tea.Msg { return common.OpenTaskMsg{ID: id} }
		}
		return m, nil
	}
	m.events.keys(k, keys, m.rows())
	return m, nil
}

// ShortHelp is the pane's own keys.
func (m Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.monitor {
		return []key.Binding{k.Up, k.Down, k.Bottom, k.OwnReads}
	}
	return []key.Binding{k.Up, k.Down, k.Bottom, k.Enter}
}

// FullHelp groups the same keys.
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View renders the pane.
func (m Model) View() string {
	if m.monitor {
		return m.monitorView()
	}
	c := m.c
	win := m.events.window(m.rows())
	note := m.note(&m.events.follow, m.events.unseen, m.events.skipped)
	if slices.ContainsFunc(win, func(e queue.Event) bool { return e.Observed }) {
		// The legend of the mark, while a marked line is on screen.
		note += " · " + common.ObservedMark + " " + c.T("observed, not reported")
	}
	lines := []string{c.PaneTitle(c.T("Events"), note, m.focused, m.w)}
	if len(m.events.items) == 0 {
		lines = append(lines, c.Styles.Muted.Render("   "+c.T("no events yet")))
		return common.Block(lines, m.w, m.h)
	}
	cols := m.columns()
	if m.header() {
		lines = append(lines, cols.header(m))
	}
	lines = append(lines, m.body(win, cols)...)
	return common.Block(lines, m.w, m.h)
}

// header reports whether the pane has room for a column header.
func (m Model) header() bool { return m.h >= 6 }

// rows is how many events one window shows.
func (m Model) rows() int {
	if m.header() {
		return max(m.h-2, 1)
	}
	return m.visible()
}

// body is the window's lines: one per event, and under the selected one (when
// the pane has focus) the rest of its detail, wrapped, in place of the oldest
// lines above it or the lines below it.
func (m Model) body(win []queue.Event, cols columns) []string {
	start, _ := m.events.list.Window()
	m.events.list.SetHeight(m.rows())
	sel := -1
	if m.focused {
		sel = m.events.list.Selected() - start
	}
	var lines []string
	selEnd := -1
	for i, e := range win {
		if i == sel {
			row, more := m.eventLine(e, cols, true)
			lines = append(lines, m.c.Styles.Selected.Render(common.Fit(ansi.Strip(row), m.w)))
			lines = append(lines, more...)
			selEnd = len(lines)
			continue
		}
		row, _ := m.eventLine(e, cols, false)
		lines = append(lines, row)
	}
	if over := len(lines) - m.rows(); over > 0 {
		if selEnd > m.rows() {
			return lines[over:]
		}
		return lines[:m.rows()]
	}
	return lines
}

func (m Model) note(follow *bool, unseen int, skipped int64) string {
	c := m.c
	var parts []string
	if *follow {
		parts = append(parts, c.T("following"))
	} else {
		parts = append(parts, c.Styles.Warn.Render(fmt.Sprintf(c.T("paused, %d new"), unseen))+c.Styles.Muted.Render(" (G)"))
	}
	if skipped > 0 {
		parts = append(parts, c.Styles.Warn.Render(fmt.Sprintf(c.T("%d skipped"), skipped)))
	}
	return strings.Join(parts, " · ")
}
