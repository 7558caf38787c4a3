package common

import "testing"

// A following list with a cursor: up leaves follow mode and stays on the same
// rows when more arrive or the oldest are dropped; down past the end follows.
func TestListFollowAndCursor(t *testing.T) {
	l := NewList(true, true)
	l.SetHeight(3)
	l.SetLen(10)
	if s, e := l.Window(); s != 7 || e != 10 || l.Selected() != 9 || !l.Following() {
		t.Fatalf("following: window %d-%d, selected %d", s, e, l.Selected())
	}
	l.Move(-1)
	l.Move(-1)
	l.Move(-1) // onto row 6: the window moves up to keep it in view
	if s, _ := l.Window(); s != 6 || l.Selected() != 6 || l.Following() {
		t.Fatalf("after 3 up: window from %d, selected %d, following %v", s, l.Selected(), l.Following())
	}
	l.SetLen(15) // new rows arrive: a paused window does not jump
	if s, _ := l.Window(); s != 6 {
		t.Fatalf("window jumped to %d", s)
	}
	l.Drop(4) // the oldest 4 trimmed: the same rows, renumbered
	if s, _ := l.Window(); s != 2 || l.Selected() != 2 {
		t.Fatalf("after drop: window from %d, selected %d", s, l.Selected())
	}
	l.Move(100)
	if !l.Following() || l.Selected() != 10 {
		t.Fatalf("down past the end: following %v, selected %d", l.Following(), l.Selected())
	}
}

// Without a cursor the keys scroll the window, clamped to the list.
func TestListScrollOnly(t *testing.T) {
	l := NewList(false, false)
	l.SetHeight(4)
	l.SetLen(10)
	l.Move(3)
	if s, e := l.Window(); s != 3 || e != 7 || l.Selected() != -1 {
		t.Fatalf("window %d-%d, selected %d", s, e, l.Selected())
	}
	l.Move(100)
	if s, _ := l.Window(); s != 6 {
		t.Fatalf("clamped at %d, want 6", s)
	}
	l.Top()
	if s, _ := l.Window(); s != 0 {
		t.Fatalf("top at %d", s)
	}
	l.SetLen(2)
	if s, e := l.Window(); s != 0 || e != 2 {
		t.Fatalf("short list window %d-%d", s, e)
	}
}
