package common

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Fit pads or truncates s (which may hold styles) to exactly w cells.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// Marked is s followed by a space and mark, in exactly w cells: s is cut (with
// …) rather than the mark, so the mark always shows.
func Marked(s, mark string, w int) string {
	room := w - ansi.StringWidth(mark) - 1
	if room < 1 {
		return Fit(mark, w)
	}
	if ansi.StringWidth(s) > room {
		s = ansi.Truncate(s, room, "…")
	}
	return Fit(s+" "+mark, w)
}

// FitLeft right-aligns s in w cells (numbers).
func FitLeft(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", w-sw) + s
}

// Block makes lines exactly w×h: every line fitted, missing lines blank. Panes
// are composed side by side, so each must fill its rectangle exactly.
func Block(lines []string, w, h int) string {
	out := make([]string, h)
	for i := range out {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		out[i] = Fit(l, w)
	}
	return strings.Join(out, "\n")
}

// Duration shows a duration compactly: 850ms, 2.3s, 4m05s, 3h12m.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Rate shows tasks per second with one decimal below 100.
func Rate(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r):
		return "0/s"
	case r < 100:
		return fmt.Sprintf("%.1f/s", r)
	}
	return fmt.Sprintf("%.0f/s", r)
}

// Count shows a counter with thin grouping so 12345 reads 12 345 on a projector.
func Count(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) > 4 {
		var b strings.Builder
		pre := len(s) % 3
		if pre > 0 {
			b.WriteString(s[:pre])
		}
		for i := pre; i < len(s); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i : i+3])
		}
		s = b.String()
	}
	if neg {
		return "-" + s
	}
	return s
}

// Percent shows a 0..1 ratio.
func Percent(f float64) string {
	if math.IsNaN(f) || f < 0 {
		f = 0
	}
	return fmt.Sprintf("%d%%", int(math.Round(f*100)))
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws vals (NaN = no data yet, drawn blank) scaled to their maximum.
// A flat zero line draws as the lowest bar so "nothing happening" is visible.
func Sparkline(vals []float64) string {
	top := 0.0
	for _, v := range vals {
		if !math.IsNaN(v) && v > top {
			top = v
		}
	}
	var b strings.Builder
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			b.WriteByte(' ')
		case top <= 0 || v <= 0:
			b.WriteRune(sparkRunes[0])
		default:
			i := int(math.Round(v / top * float64(len(sparkRunes)-1)))
			b.WriteRune(sparkRunes[min(max(i, 0), len(sparkRunes)-1)])
		}
	}
	return b.String()
}

// Bar returns the filled and empty parts of a w-cell bar for v out of top, with
// eighth-cell precision. Any non-zero value shows at least a sliver.
func Bar(v, top float64, w int) (filled, empty string) {
	if w <= 0 {
		return "", ""
	}
	if top <= 0 || v <= 0 {
		return "", strings.Repeat("─", w)
	}
	eighths := int(math.Round(min(v/top, 1) * float64(w*8)))
	eighths = max(eighths, 1)
	full := eighths / 8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	cells := full
	if rem := eighths % 8; rem > 0 {
		b.WriteRune([]rune("▏▎▍▌▋▊▉")[rem-1])
		cells++
	}
	return b.String(), strings.Repeat("─", w-cells)
}

// Clock formats t as wall time for event lines.
func (c Common) Clock(t time.Time) string {
	if t.IsZero() {
		return "--:--:--"
	}
	return t.In(c.Loc).Format("15:04:05")
}

// Ago formats how long before now t was.
func (c Common) Ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return Duration(c.Now().Sub(t))
}

// LineBar is a bar of heavy rules: rows of it stay apart on screen where full
// blocks would merge into one slab (the leaderboard).
func LineBar(v, top float64, w int) (filled, empty string) {
	if w <= 0 {
		return "", ""
	}
	n := 0
	if top > 0 && v > 0 {
		n = max(int(math.Round(min(v/top, 1)*float64(w))), 1)
	}
	return strings.Repeat("━", n), strings.Repeat("─", w-n)
}
