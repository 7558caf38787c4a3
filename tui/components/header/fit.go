package header

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/tui/common"
)

// field is one fact of a header line.
type field struct {
	text string
	// slot is the least width the field takes: the widest its text can be
	// (a switch on or off, a number in its usual range), so what follows it
	// stays put when the value changes.
	slot int
	// drop orders what a narrow line gives up: 0 is never dropped, a higher
	// number goes before a lower one. It depends on the field, never on its
	// value, so a switch turned on cannot push another field off the line.
	drop int
	// alts are narrower forms of the field (less detail), tried in order
	// when the line is too wide and this field is next to give way; the field
	// is dropped only after the last of them.
	alts []field
}

// width is the cells the field takes on the line.
func (f field) width() int { return max(ansi.StringWidth(f.text), f.slot) }

// slot is text in a slot as wide as the widest of widest.
func slot(text string, widest ...string) field {
	f := field{text: text, slot: ansi.StringWidth(text)}
	for _, w := range widest {
		f.slot = max(f.slot, ansi.StringWidth(w))
	}
	return f
}

// pick is one of two texts (a switch on or off) in a slot that fits both.
func pick(isOn bool, on, off string) field {
	text := off
	if isOn {
		text = on
	}
	return field{text: text, slot: max(ansi.StringWidth(on), ansi.StringWidth(off))}
}

// fit lays fields out on a line of w cells, in their order, separated by sep.
// When they do not fit, fields give way, the highest drop order first (the
// rightmost of equals): one with narrower forms takes the next of them, one
// without goes whole; a value is never cut. Each field is padded to its
// slot, so fields keep their place while values change.
func fit(fs []field, sep string, w int) string {
	keep := append([]field(nil), fs...)
	for lineWidth(keep, sep) > w {
		i := droppable(keep)
		if i < 0 {
			break
		}
		if alts := keep[i].alts; len(alts) > 0 {
			next := alts[0]
			next.drop, next.alts = keep[i].drop, alts[1:]
			keep[i] = next
			continue
		}
		keep = append(keep[:i], keep[i+1:]...)
	}
	parts := make([]string, len(keep))
	for i, f := range keep {
		parts[i] = common.Fit(f.text, f.width())
	}
	return common.Fit(" "+strings.Join(parts, sep), w)
}

// lineWidth is the cells fs take on a line, with the leading space.
func lineWidth(fs []field, sep string) int {
	n := 1
	for i, f := range fs {
		if i > 0 {
			n += ansi.StringWidth(sep)
		}
		n += f.width()
	}
	return n
}

// droppable is the index of the field to drop next, -1 when none may go.
func droppable(fs []field) int {
	at, top := -1, 0
	for i, f := range fs {
		if f.drop > 0 && f.drop >= top {
			at, top = i, f.drop
		}
	}
	return at
}
