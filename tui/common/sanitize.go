package common

import (
	"strings"

	"github.com/imgq/imgq/internal/safetext"
)

// Clean makes untrusted text (task names, errors, worker ids, hosts, MONITOR
// arguments: anything that came from Redis) safe to put on the screen. It is
// safetext.Clean, which the CLI's text output uses too: one implementation.
func Clean(s string) string { return safetext.Clean(s) }

// CleanLines is Clean for multi-line text (a pretty-printed payload): each line
// is cleaned and the newlines are kept.
func CleanLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = Clean(strings.ReplaceAll(l, "\t", "    "))
	}
	return lines
}
