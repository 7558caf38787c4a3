package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// CutWords fits plain s in w cells, cutting after the last whole word that
// fits and marking the cut with …; a single word wider than w is cut where it
// must be. A reader sees where the text goes on, never half a word as if whole.
func CutWords(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	if w <= 1 {
		return strings.Repeat("…", max(w, 0))
	}
	cut := ansi.Truncate(s, w-1, "")
	if i := strings.LastIndex(cut, " "); i > 0 {
		cut = strings.TrimRight(cut[:i], " ")
	}
	return cut + "…"
}

// WrapWords wraps plain s into lines of at most w cells, breaking between
// words where it can.
func WrapWords(s string, w int) []string {
	w = max(w, 1)
	return strings.Split(ansi.Hardwrap(ansi.Wordwrap(s, w, " "), w, true), "\n")
}
