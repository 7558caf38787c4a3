// Package events draws the queue's event stream, newest last, or, in MONITOR
// mode, every command the Redis server runs. Scrolling up stops following so a
// teacher can point at a line while new ones keep arriving underneath.
package events

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// Keep is how many events (and MONITOR lines) the pane holds for scrolling back.
const Keep = 1000

// buffer is a bounded list with a follow/paused scroll position.
type buffer[T any] struct {
	items   []T
	follow  bool
	off     int   // first line shown when not following
	unseen  int   // arrived while not following
	skipped int64 // dropped to keep the newest Keep
}

func (b *buffer[T]) add(items []T) {
	if len(items) == 0 {
		return
	}
	if !b.follow {
		b.unseen += len(items)
	}
	b.items = append(b.items, items...)
	if over := len(b.items) - Keep; over > 0 {
		// Under a burst only the newest Keep stay; the rest are counted so the
		// screen says how much it did not show.
		b.items = append(b.items[:0:0], b.items[over:]...)
		b.off = max(b.off-over, 0)
		b.skipped += int64(over)
	}
}

func (b *buffer[T]) scroll(delta, visible int) {
	n := len(b.items)
	start := b.off
	if b.follow {
		start = max(n-visible, 0)
	}
	start += delta
	if start >= n-visible {
		b.follow, b.unseen, b.off = true, 0, 0
		return
	}
	b.follow, b.off = false, max(start, 0)
}

func (b *buffer[T]) window(visible int) []T {
	n := len(b.items)
	start := max(n-visible, 0)
	if !b.follow {
		start = min(b.off, start)
	}
	return b.items[start:min(start+visible, n)]
}

// Model is the events pane.
type Model struct {
	c       common.Common
	w, h    int
	focused bool
	monitor bool
	events  buffer[queue.Event]
	mon     monitorPane // monitor.go
}

// New returns the pane following the newest events. prefix is the queue's key
// prefix, used to recognise the dashboard's own polling in MONITOR.
func New(c common.Common, prefix string) Model {
	m := Model{c: c, mon: newMonitorPane(prefix)}
	m.events.follow = true
	return m
}

// SetSize sets the rectangle the pane fills.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// SetFocused marks the pane as the one keys scroll.
func (m *Model) SetFocused(f bool) { m.focused = f }

// Add appends events (oldest first).
func (m *Model) Add(evs []queue.Event) { m.events.add(evs) }

// Events returns the events held, oldest first.
func (m Model) Events() []queue.Event { return m.events.items }

// Following reports whether the events view follows the newest line.
func (m Model) Following() bool {
	if m.monitor {
		return m.mon.buf.follow
	}
	return m.events.follow
}

func (m Model) visible() int { return max(m.h-1, 1) }

// Update handles scrolling (when focused) and, in MONITOR mode, the filter key.
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
	v := m.visible()
	scroll := func(d int) {
		if m.monitor {
			m.mon.buf.scroll(d, v)
		} else {
			m.events.scroll(d, v)
		}
	}
	switch {
	case key.Matches(k, keys.Up):
		scroll(-1)
	case key.Matches(k, keys.Down):
		scroll(1)
	case key.Matches(k, keys.PageUp):
		scroll(-max(v-1, 1))
	case key.Matches(k, keys.PageDown):
		scroll(max(v-1, 1))
	case key.Matches(k, keys.Top):
		scroll(-Keep * 2)
	case key.Matches(k, keys.Bottom):
		scroll(Keep * 2)
	}
	return m, nil
}

// View renders the pane.
func (m Model) View() string {
	if m.monitor {
		return m.monitorView()
	}
	c := m.c
	win := m.events.window(m.visible())
	note := m.note(&m.events.follow, m.events.unseen, m.events.skipped)
	if slices.ContainsFunc(win, func(e queue.Event) bool { return e.Observed }) {
		// The legend of the mark, while a marked line is on screen.
		note += " · " + common.ObservedMark + " " + c.T("observed, not reported")
	}
	lines := []string{c.PaneTitle(c.T("Events"), note, m.focused, m.w)}
	if len(m.events.items) == 0 {
		lines = append(lines, c.Styles.Muted.Render("   "+c.T("no events yet")))
	}
	for _, e := range win {
		lines = append(lines, m.eventLine(e))
	}
	return common.Block(lines, m.w, m.h)
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
