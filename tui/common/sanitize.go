package common

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Clean makes untrusted text (task names, errors, worker ids, hosts, MONITOR
// arguments: anything that came from Redis) safe to put on the screen. A task
// name is chosen by whoever enqueued it; printed raw, an escape sequence in it
// could clear the projector's screen, retitle the window or fake a line of the
// dashboard. Clean removes whole escape sequences first (so their parameters do
// not leak as garbage), then any remaining C0/C1 control, DEL, invalid UTF-8 and
// the bidi overrides that can make text read backwards. Newlines and tabs become
// spaces: every caller renders one line per item.
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

// CleanLines is Clean for multi-line text (a pretty-printed payload): each line
// is cleaned and the newlines are kept.
func CleanLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = Clean(strings.ReplaceAll(l, "\t", "    "))
	}
	return lines
}

// isPlain is the fast path: printable ASCII needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
