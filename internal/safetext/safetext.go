// Package safetext makes untrusted strings (task names, errors, worker ids, MONITOR
// arguments) safe to print on a terminal: escape sequences and control characters
// are removed, so a task named "\x1b[2J" cannot clear or restyle anyone's screen.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Clean strips ANSI escape sequences, then every remaining control character
// (C0, DEL, C1) and invalid UTF-8; tabs and newlines become spaces.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			b.WriteRune('?')
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			// dropped
		case r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			// bidirectional overrides can make text read other than it is
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

func validAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && size <= 1)
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
