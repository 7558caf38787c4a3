package common

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme names a palette: what --theme takes.
type Theme string

// The themes. Auto follows the terminal's background (Bubble Tea asks the
// terminal for it at start); until the answer comes, or when the terminal
// does not answer, it is dark.
const (
	ThemeAuto     Theme = "auto"
	ThemeDark     Theme = "dark"
	ThemeLight    Theme = "light"
	ThemeContrast Theme = "contrast"
)

// Themes lists every theme --theme accepts, in the order the help shows them.
var Themes = []Theme{ThemeAuto, ThemeDark, ThemeLight, ThemeContrast}

// ThemeNames is "auto, dark, light or contrast", for help and errors.
func ThemeNames() string {
	n := make([]string, len(Themes))
	for i, t := range Themes {
		n[i] = string(t)
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// ParseTheme checks a --theme value; "" is auto.
func ParseTheme(s string) (Theme, error) {
	if s == "" {
		return ThemeAuto, nil
	}
	for _, t := range Themes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown theme %q: choose %s", s, ThemeNames())
}

// Resolve is the palette a theme uses on a terminal whose background is dark
// or not: auto picks dark or light; the others ignore the background (contrast
// is made not to depend on it).
func (t Theme) Resolve(darkBg bool) Theme {
	switch t {
	case ThemeDark, ThemeLight, ThemeContrast:
		return t
	}
	if darkBg {
		return ThemeDark
	}
	return ThemeLight
}

// StylesFor builds the style sheet of theme t on a background that is dark or
// not. An unknown theme (ParseTheme refuses those first) resolves like auto.
func StylesFor(t Theme, darkBg bool) *Styles {
	r := t.Resolve(darkBg)
	var s *Styles
	switch r {
	case ThemeLight:
		s = NewStyles(LightPalette())
	case ThemeContrast:
		s = NewStyles(ContrastPalette())
	default:
		s = NewStyles(DarkPalette())
	}
	s.Theme = r
	return s
}

// DarkPalette is for a dark terminal: light text, bright hues, and a muted
// grey that stays readable on a washed-out beam.
func DarkPalette() Palette {
	return Palette{
		Fg:       lipgloss.Color("#E4E4EC"),
		Muted:    lipgloss.Color("#9A9AB0"),
		Subtle:   lipgloss.Color("#6C6C84"),
		Faint:    lipgloss.Color("#3A3A4C"),
		Accent:   lipgloss.Color("#A48BFF"),
		Accent2:  lipgloss.Color("#62D6FF"),
		Blue:     lipgloss.Color("#6AA9FF"),
		Cyan:     lipgloss.Color("#4FD6C8"),
		Green:    lipgloss.Color("#6BE38A"),
		Yellow:   lipgloss.Color("#FFD166"),
		Orange:   lipgloss.Color("#FF9F5A"),
		Red:      lipgloss.Color("#FF6B7A"),
		Magenta:  lipgloss.Color("#E58BF0"),
		BarBg:    lipgloss.Color("#34344A"),
		SelBg:    lipgloss.Color("#2E2B4A"),
		BannerFg: lipgloss.Color("#101018"),
		BannerBg: lipgloss.Color("#FFD166"),
	}
}

// LightPalette is for a light terminal: near-black text, and hues darkened
// until each reads on white (yellow, unreadable on white, becomes amber).
func LightPalette() Palette {
	return Palette{
		Fg:       lipgloss.Color("#1B1B24"),
		Muted:    lipgloss.Color("#4A4A5C"),
		Subtle:   lipgloss.Color("#5F5F73"),
		Faint:    lipgloss.Color("#B4B4C4"),
		Accent:   lipgloss.Color("#5B3CC4"),
		Accent2:  lipgloss.Color("#00659A"),
		Blue:     lipgloss.Color("#1D4ED8"),
		Cyan:     lipgloss.Color("#00737A"),
		Green:    lipgloss.Color("#17754A"),
		Yellow:   lipgloss.Color("#8A5A00"),
		Orange:   lipgloss.Color("#B54708"),
		Red:      lipgloss.Color("#C01C28"),
		Magenta:  lipgloss.Color("#9C2BA8"),
		BarBg:    lipgloss.Color("#C8C8D6"),
		SelBg:    lipgloss.Color("#E4DEFF"),
		BannerFg: lipgloss.Color("#1B1B24"),
		BannerBg: lipgloss.Color("#FFCC33"),
	}
}

// ContrastPalette is for a projector, whatever the terminal's background:
// text, labels and rules are the terminal's own foreground (no greys: it is by
// construction the colour that contrasts most with its background), every
// coloured word is bold, and each hue sits at the luminance (about 0.18) that
// contrasts as much with pure black as with pure white (≥ 4.4:1 with both).
// Selection is reverse video; the join banner sets both its colours.
func ContrastPalette() Palette {
	none := lipgloss.NoColor{}
	return Palette{
		Fg: none, Muted: none, Subtle: none, Faint: none, BarBg: none, SelBg: none,
		Accent:       lipgloss.Color("#8A4DFF"),
		Accent2:      lipgloss.Color("#0078C8"),
		Blue:         lipgloss.Color("#3A6BFF"),
		Cyan:         lipgloss.Color("#008585"),
		Green:        lipgloss.Color("#008A00"),
		Yellow:       lipgloss.Color("#957000"),
		Orange:       lipgloss.Color("#D04A00"),
		Red:          lipgloss.Color("#EA0000"),
		Magenta:      lipgloss.Color("#CC00CC"),
		BannerFg:     lipgloss.Color("#000000"),
		BannerBg:     lipgloss.Color("#FFD700"),
		HighContrast: true,
	}
}
