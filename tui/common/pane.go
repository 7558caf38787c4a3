package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// PaneTitle is the one-line title every pane starts with: a marker that shows
// focus, the title, optional notes, and a rule to the edge. A title line instead
// of a full border keeps two more rows for data at 80×24.
func (c Common) PaneTitle(title, note string, focused bool, w int) string {
	st := c.Styles
	mark, ts := "  ", st.PaneTitle
	if focused {
		mark, ts = "▌ ", st.PaneFocused
	}
	s := ts.Render(mark + title)
	if note != "" {
		s += st.Muted.Render("  " + note)
	}
	if rest := w - ansi.StringWidth(s) - 1; rest > 0 {
		s += " " + st.PaneRule.Render(strings.Repeat("─", rest))
	}
	return Fit(s, w)
}
