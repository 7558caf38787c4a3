package common

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/imgq/imgq/queue"
)

// Palette is every colour the dashboard uses; theme.go has one per theme. No
// pair of meanings relies on red/green alone: states also differ by word and
// symbol, so a palette may trade hue for contrast.
type Palette struct {
	Fg, Muted, Subtle, Faint color.Color
	Accent, Accent2          color.Color
	Blue, Cyan, Green        color.Color
	Yellow, Orange, Red      color.Color
	Magenta, BarBg, SelBg    color.Color
	// BannerFg on BannerBg is the classroom join line: both set, so it reads
	// the same whatever the terminal's background.
	BannerFg, BannerBg color.Color
	// HighContrast makes every coloured word bold and the selection reverse
	// video: thin strokes and tinted rows wash out on a projector.
	HighContrast bool
}

// Styles is the one semantic style sheet (crush's pattern): views name what a
// piece of text is, never how it looks.
type Styles struct {
	Pal   Palette
	Theme Theme // the resolved theme: dark, light or contrast

	Title       lipgloss.Style // "imgq" in the header
	Label       lipgloss.Style // "throughput", "drain"
	Value       lipgloss.Style // the numbers next to labels
	Text        lipgloss.Style
	Muted       lipgloss.Style
	Subtle      lipgloss.Style
	Bold        lipgloss.Style
	OK          lipgloss.Style
	Warn        lipgloss.Style
	Error       lipgloss.Style
	Notice      lipgloss.Style // status line after an action
	PaneTitle   lipgloss.Style
	PaneFocused lipgloss.Style // the title of the pane that has focus
	PaneRule    lipgloss.Style
	ColHeader   lipgloss.Style
	Selected    lipgloss.Style
	BarEmpty    lipgloss.Style
	Spark       lipgloss.Style
	Banner      lipgloss.Style // the classroom join line
	BannerKey   lipgloss.Style
	Prompt      lipgloss.Style
	Confirm     lipgloss.Style
	MonCmd      lipgloss.Style // the command word of a MONITOR line
	MonMeta     lipgloss.Style // its timestamp and client
	Help        help.Styles

	queue  map[string]lipgloss.Style
	kinds  map[string]lipgloss.Style
	states map[queue.WorkerState]lipgloss.Style
}

// DefaultStyles is the dark theme's style sheet: what auto shows until the
// terminal says its background is light.
func DefaultStyles() *Styles { return StylesFor(ThemeDark, true) }

// NewStyles builds the style sheet from a palette.
func NewStyles(p Palette) *Styles {
	base := lipgloss.NewStyle()
	fg := func(c color.Color) lipgloss.Style { return base.Foreground(c) }
	// hue is a word whose colour carries meaning (a state, a kind, a queue).
	hue := func(c color.Color) lipgloss.Style { return fg(c).Bold(p.HighContrast) }
	selected := base.Background(p.SelBg).Bold(true)
	if p.HighContrast {
		selected = base.Reverse(true).Bold(true)
	}
	s := &Styles{
		Pal:         p,
		Title:       base.Bold(true).Foreground(p.Accent),
		Label:       fg(p.Muted),
		Value:       base.Bold(true).Foreground(p.Fg),
		Text:        fg(p.Fg),
		Muted:       fg(p.Muted),
		Subtle:      fg(p.Subtle),
		Bold:        base.Bold(true),
		OK:          hue(p.Green),
		Warn:        hue(p.Yellow),
		Error:       hue(p.Red),
		Notice:      base.Bold(true).Foreground(p.Accent2),
		PaneTitle:   base.Bold(true).Foreground(p.Muted),
		PaneFocused: base.Bold(true).Foreground(p.Accent),
		PaneRule:    fg(p.Faint),
		ColHeader:   fg(p.Subtle),
		Selected:    selected,
		BarEmpty:    fg(p.BarBg),
		Spark:       hue(p.Accent2),
		Banner:      base.Bold(true).Foreground(p.BannerFg).Background(p.BannerBg),
		BannerKey:   base.Bold(true).Foreground(p.Yellow),
		Prompt:      base.Bold(true).Foreground(p.Accent),
		Confirm:     base.Bold(true).Foreground(p.Red),
		MonCmd:      base.Bold(true).Foreground(p.Yellow),
		MonMeta:     fg(p.Subtle),
	}
	s.Help = help.Styles{
		ShortKey:       base.Bold(true).Foreground(p.Accent),
		ShortDesc:      fg(p.Muted),
		ShortSeparator: fg(p.Faint),
		Ellipsis:       fg(p.Subtle),
		FullKey:        base.Bold(true).Foreground(p.Accent),
		FullDesc:       fg(p.Fg),
		FullSeparator:  fg(p.Faint),
	}
	s.queue = map[string]lipgloss.Style{
		"high":       hue(p.Orange),
		"normal":     hue(p.Blue),
		"low":        fg(p.Subtle),
		"pending":    hue(p.Blue),
		"processing": hue(p.Cyan),
		"retry":      hue(p.Yellow),
		"completed":  hue(p.Green),
		"failed":     hue(p.Red),
	}
	s.kinds = map[string]lipgloss.Style{
		queue.EventEnqueued:     hue(p.Blue),
		queue.EventClaimed:      hue(p.Cyan),
		queue.EventCompleted:    hue(p.Green),
		queue.EventRetried:      hue(p.Yellow),
		queue.EventFailed:       base.Bold(true).Foreground(p.Red),
		queue.EventRecovered:    base.Bold(true).Foreground(p.Orange),
		queue.EventReleased:     fg(p.Muted),
		queue.EventRequeued:     hue(p.Magenta),
		queue.EventFlushed:      base.Bold(true).Foreground(p.Red),
		queue.EventWorkerUp:     hue(p.Accent),
		queue.EventWorkerGone:   base.Bold(true).Foreground(p.Orange),
		queue.EventWorkerStop:   fg(p.Muted),
		queue.EventLeaseRefused: hue(p.Red),
	}
	s.states = map[queue.WorkerState]lipgloss.Style{
		queue.WorkerIdle:   fg(p.Muted),
		queue.WorkerBusy:   base.Bold(true).Foreground(p.Green),
		queue.WorkerPaused: hue(p.Yellow),
		queue.WorkerGone:   base.Bold(true).Foreground(p.Red),
		queue.WorkerStop:   fg(p.Subtle),
	}
	return s
}

// Queue is the colour of one queue row ("pending", "failed", ...).
func (s *Styles) Queue(name string) lipgloss.Style {
	if st, ok := s.queue[name]; ok {
		return st
	}
	return s.Text
}

// QueueSpark is the colour of a queue's sparkline: its queue's, faint so the
// bar and the count stand out, except in high contrast, where faint washes out.
func (s *Styles) QueueSpark(name string) lipgloss.Style {
	return s.Queue(name).Faint(!s.Pal.HighContrast)
}

// Kind is the colour of an event kind; unknown kinds (a newer writer) are plain.
func (s *Styles) Kind(kind string) lipgloss.Style {
	if st, ok := s.kinds[kind]; ok {
		return st
	}
	return s.Text
}

// State is the colour of a worker state.
func (s *Styles) State(st queue.WorkerState) lipgloss.Style {
	if v, ok := s.states[st]; ok {
		return v
	}
	return s.Muted
}

// ObservedMark tags what imgq derived from a worker it did not start (a course
// worker) instead of hearing it from the worker: the worker in the workers pane
// (its host and pid are unknown) and its events in the events pane ("observed,
// not reported").
const ObservedMark = "◦"

// StateIcon is a symbol per state, so states differ by shape, not only colour.
func StateIcon(st queue.WorkerState) string {
	switch st {
	case queue.WorkerBusy:
		return "●"
	case queue.WorkerIdle:
		return "○"
	case queue.WorkerPaused:
		return "‖"
	case queue.WorkerGone:
		return "✕"
	case queue.WorkerStop:
		return "■"
	}
	return "?"
}
