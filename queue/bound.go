package queue

import (
	"fmt"
	"unicode/utf8"
)

// Bounds on what one field may cost a reader. Every dashboard reads every event,
// so a field pushed by hand (a 50 MB id in a pending list) must never be copied
// whole into an event or onto a screen: names and ids are refused over
// MaxNameBytes at enqueue, and the scripts and the readers cut what they did not
// validate to these lengths (lib/record.lua's clip uses the same numbers).
const (
	MaxNameBytes  = 256  // task names and ids, as stored in events and records
	MaxErrorBytes = 1024 // error texts in events and records
)

// clip cuts s to at most n bytes, on a UTF-8 boundary when there is one near the
// end, so a cut never leaves half a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for i := 0; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	if cut == 0 {
		cut = n
	}
	return s[:cut]
}

// validateName refuses a task name over MaxNameBytes (a name is shown on every
// dashboard and copied into every event of its task).
func validateName(id, name string) error {
	if len(name) > MaxNameBytes {
		return fmt.Errorf("enqueue %s: task name is %d bytes, over the limit of %d bytes (%q...)", id, len(name), MaxNameBytes, clip(name, 40))
	}
	return nil
}
