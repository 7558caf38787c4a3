// Package safetext makes untrusted strings (task names, errors, worker ids, MONITOR
// arguments) safe to print on a terminal: escape sequences and control characters
// are removed, so a task named "\x1b[2J" cannot clear or restyle anyone's screen.
package safetext

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Clean makes untrusted text safe to put on a terminal: whole escape sequences
// are removed first (so their parameters do not leak as garbage), then any
// remaining C0/C1 control, DEL, and the bidi overrides that can make text read
// backwards; invalid UTF-8 becomes U+FFFD. Newlines and tabs become spaces:
// every caller renders one line per item.
func Clean(s string) string {
	if s == "" {
		return s
	}
	if isPlain(s) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// dropped: a control character has no business on the screen
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// dropped: bidi embedding/override/isolate
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Truncate cleans s and cuts it to at most n runes, marking the cut with "…".
func Truncate(s string, n int) string {
	s = Clean(s)
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
