package common

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// List is the scroll position of a list of rows shown a window at a time, with
// an optional cursor and an optional follow mode: the one list viewport the
// workers, failed and events components share (there were four hand-written
// copies of scroll, select and clamp).
//
// Without a cursor the keys scroll the window; with one they move the cursor
// and the window keeps it in view. Following, the window shows the last rows
// and the cursor sits on the newest; moving up leaves follow mode, moving past
// the end (or Bottom) returns to it.
type List struct {
	n, h   int
	off    int  // first row shown when not following
	sel    int  // cursor row
	cursor bool // a cursor is shown and moved
	follow bool // the last rows stay in view; false once left
	canFol bool // follow mode exists at all
}

// NewList returns an empty list. cursor: keys move a selection; follow: the
// list starts following its end, like a log.
func NewList(cursor, follow bool) List {
	return List{cursor: cursor, follow: follow, canFol: follow}
}

// SetLen sets the number of rows, keeping the window and cursor in range.
func (l *List) SetLen(n int) { l.n = max(n, 0); l.clamp() }

// SetHeight sets how many rows one window shows.
func (l *List) SetHeight(h int) { l.h = max(h, 1); l.clamp() }

// Height is the rows of one window.
func (l List) Height() int { return l.h }

// Drop says the first k rows were removed (a bounded log trimmed its oldest):
// a paused window stays on the same rows.
func (l *List) Drop(k int) {
	l.off = max(l.off-k, 0)
	l.sel = max(l.sel-k, 0)
	l.n = max(l.n-k, 0)
	l.clamp()
}

// Following reports whether the window follows the end.
func (l List) Following() bool { return l.follow }

// Selected is the cursor's row, -1 when the list is empty or has no cursor.
func (l List) Selected() int {
	if !l.cursor || l.n == 0 {
		return -1
	}
	if l.follow {
		return l.n - 1
	}
	return l.sel
}

// Select puts the cursor on row i.
func (l *List) Select(i int) { l.sel = i; l.clamp() }

// Window is the rows on screen: [start, end).
func (l List) Window() (start, end int) {
	start = l.off
	if l.follow {
		start = max(l.n-l.h, 0)
	}
	return start, min(start+l.h, l.n)
}

// Offset is the first row shown.
func (l List) Offset() int { s, _ := l.Window(); return s }

// Move moves the cursor (or, without one, the window) by d rows.
func (l *List) Move(d int) {
	if l.n == 0 {
		return
	}
	if l.follow {
		l.off, l.sel = max(l.n-l.h, 0), l.n-1
	}
	if l.cursor {
		l.sel += d
		if l.canFol && l.sel >= l.n-1 && d > 0 {
			l.follow = true
		} else if d < 0 {
			l.follow = false
		}
	} else {
		l.off += d
		if l.canFol && l.off >= l.n-l.h && d > 0 {
			l.follow = true
		} else if d < 0 && l.n > l.h {
			l.follow = false
		}
	}
	l.clamp()
}

// Top goes to the first row; Bottom to the last (following again).
func (l *List) Top() { l.Move(-l.n - l.h) }

// Bottom goes to the last row, and follows again when the list can.
func (l *List) Bottom() {
	l.Move(l.n + l.h)
	if l.canFol {
		l.follow = true
	}
}

// Keys handles the movement keys and reports whether k was one of them.
func (l *List) Keys(k tea.KeyPressMsg, keys *KeyMap) bool {
	page := max(l.h-1, 1)
	switch {
	case key.Matches(k, keys.Up):
		l.Move(-1)
	case key.Matches(k, keys.Down):
		l.Move(1)
	case key.Matches(k, keys.PageUp):
		l.Move(-page)
	case key.Matches(k, keys.PageDown):
		l.Move(page)
	case key.Matches(k, keys.Top):
		l.Top()
	case key.Matches(k, keys.Bottom):
		l.Bottom()
	default:
		return false
	}
	return true
}

func (l *List) clamp() {
	l.h = max(l.h, 1)
	if l.follow {
		l.off, l.sel = max(l.n-l.h, 0), max(l.n-1, 0)
		return
	}
	l.sel = min(max(l.sel, 0), max(l.n-1, 0))
	if l.cursor {
		if l.sel < l.off {
			l.off = l.sel
		}
		if l.sel >= l.off+l.h {
			l.off = l.sel - l.h + 1
		}
	}
	l.off = max(min(l.off, l.n-l.h), 0)
}
