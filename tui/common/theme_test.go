package common

import (
	"image/color"
	"math"
	"reflect"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestParseTheme(t *testing.T) {
	for _, name := range []string{"auto", "dark", "light", "contrast"} {
		if th, err := ParseTheme(name); err != nil || string(th) != name {
			t.Errorf("ParseTheme(%q) = %q, %v", name, th, err)
		}
	}
	if th, err := ParseTheme(""); err != nil || th != ThemeAuto {
		t.Errorf(`ParseTheme("") = %q, %v; want auto`, th, err)
	}
	_, err := ParseTheme("Dark")
	if err == nil {
		t.Fatal("ParseTheme accepted an unknown name")
	}
	for _, want := range []string{`"Dark"`, "auto", "dark", "light", "contrast"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestThemeResolve(t *testing.T) {
	for _, c := range []struct {
		theme  Theme
		darkBg bool
		want   Theme
	}{
		{ThemeAuto, true, ThemeDark}, {ThemeAuto, false, ThemeLight},
		{ThemeDark, false, ThemeDark}, {ThemeLight, true, ThemeLight},
		{ThemeContrast, true, ThemeContrast}, {ThemeContrast, false, ThemeContrast},
	} {
		if got := StylesFor(c.theme, c.darkBg).Theme; got != c.want {
			t.Errorf("%s on a dark=%v background = %s, want %s", c.theme, c.darkBg, got, c.want)
		}
	}
}

// luminance is WCAG 2's relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is WCAG 2's contrast ratio of a and b (1 to 21).
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// hues are the palette's colours that carry meaning in words.
func hues(p Palette) map[string]color.Color {
	return map[string]color.Color{"Accent": p.Accent, "Accent2": p.Accent2, "Blue": p.Blue, "Cyan": p.Cyan,
		"Green": p.Green, "Yellow": p.Yellow, "Orange": p.Orange, "Red": p.Red, "Magenta": p.Magenta}
}

func requireContrast(t *testing.T, theme, name string, fg, bg color.Color, want float64) {
	t.Helper()
	if got := contrast(fg, bg); got < want {
		t.Errorf("%s: %s %v on %v contrasts %.2f:1, want ≥ %.1f:1", theme, name, fg, bg, got, want)
	}
}

// Each palette reads on the backgrounds it is for: text at 7:1 (WCAG AAA),
// labels and meaningful hues at 4.5:1 (AA).
func TestPalettesReadOnTheirBackground(t *testing.T) {
	backgrounds := map[string][]color.Color{
		"dark":  {lipgloss.Color("#000000"), lipgloss.Color("#1E1E2E"), lipgloss.Color("#282C34")},
		"light": {lipgloss.Color("#FFFFFF"), lipgloss.Color("#FAFAFA"), lipgloss.Color("#FDF6E3")},
	}
	for name, p := range map[string]Palette{"dark": DarkPalette(), "light": LightPalette()} {
		for _, bg := range backgrounds[name] {
			requireContrast(t, name, "Fg", p.Fg, bg, 7)
			requireContrast(t, name, "Muted", p.Muted, bg, 4.5)
			for h, c := range hues(p) {
				requireContrast(t, name, h, c, bg, 4.5)
			}
		}
		requireContrast(t, name, "banner", p.BannerFg, p.BannerBg, 7)
	}
}

// Light and dark differ where they must: text on a light background is dark,
// on a dark one light; and no colour of one is reused by the other.
func TestLightAndDarkDiffer(t *testing.T) {
	d, l := DarkPalette(), LightPalette()
	if luminance(l.Fg) > 0.05 || luminance(d.Fg) < 0.6 {
		t.Errorf("text luminance: light theme %.2f (want dark), dark theme %.2f (want light)", luminance(l.Fg), luminance(d.Fg))
	}
	dv, lv := reflect.ValueOf(d), reflect.ValueOf(l)
	for i := range dv.NumField() {
		f := dv.Type().Field(i)
		if f.Type != reflect.TypeFor[color.Color]() {
			continue
		}
		if reflect.DeepEqual(dv.Field(i).Interface(), lv.Field(i).Interface()) {
			t.Errorf("%s is the same in the light and dark palettes", f.Name)
		}
	}
	if StylesFor(ThemeLight, true).Text.GetForeground() == StylesFor(ThemeDark, true).Text.GetForeground() {
		t.Error("the light and dark style sheets draw text in the same colour")
	}
}

// The contrast palette does not depend on the background: text is the
// terminal's own foreground, every hue reads on pure black and on pure white,
// and what matters is bold.
func TestContrastPaletteIsBackgroundIndependent(t *testing.T) {
	p := ContrastPalette()
	for name, c := range map[string]color.Color{"Fg": p.Fg, "Muted": p.Muted, "Subtle": p.Subtle, "Faint": p.Faint} {
		if _, ok := c.(lipgloss.NoColor); !ok {
			t.Errorf("contrast %s is %v: want the terminal's own foreground (no grey)", name, c)
		}
	}
	black, white := lipgloss.Color("#000000"), lipgloss.Color("#FFFFFF")
	for h, c := range hues(p) {
		requireContrast(t, "contrast", h, c, black, 4.4)
		requireContrast(t, "contrast", h, c, white, 4.4)
	}
	requireContrast(t, "contrast", "banner", p.BannerFg, p.BannerBg, 12)
	s := StylesFor(ThemeContrast, true)
	for name, st := range map[string]lipgloss.Style{"OK": s.OK, "Error": s.Error, "Value": s.Value,
		"claimed": s.Kind("claimed"), "busy": s.State("busy"), "idle state": s.Queue("processing")} {
		if !st.GetBold() {
			t.Errorf("contrast %s is not bold", name)
		}
	}
	if !s.Selected.GetReverse() {
		t.Error("contrast selection is not reverse video")
	}
	if s.QueueSpark("pending").GetFaint() || !StylesFor(ThemeDark, true).QueueSpark("pending").GetFaint() {
		t.Error("sparklines should be faint in dark and not in contrast")
	}
}

// SetBackground rewrites the shared sheet in place, so a component holding
// the pointer sees the new palette; a forced theme ignores it.
func TestSetBackground(t *testing.T) {
	c := Common{Styles: StylesFor(ThemeAuto, true), Theme: ThemeAuto}
	held := c.Styles
	c.SetBackground(false)
	if held.Theme != ThemeLight {
		t.Fatalf("after a light background the shared sheet is %s", held.Theme)
	}
	c = Common{Styles: StylesFor(ThemeDark, true), Theme: ThemeDark}
	c.SetBackground(false)
	if c.Styles.Theme != ThemeDark {
		t.Fatalf("a forced dark theme followed the background to %s", c.Styles.Theme)
	}
}
