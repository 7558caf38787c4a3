package tui

import (
	"fmt"
	"image/color"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/imgq/imgq/tui/common"
)

// With auto the dashboard asks the terminal for its background and follows
// the answer (again when it changes); a forced theme neither asks nor follows.
func TestViewAutoTheme(t *testing.T) {
	black, white := tea.BackgroundColorMsg{Color: lipgloss.Color("#101010")}, tea.BackgroundColorMsg{Color: lipgloss.Color("#F8F8F8")}
	view := func(theme string, bg ...tea.Msg) string {
		m, _ := fixture(t, 120, 36, 3, Options{Theme: theme})
		for _, msg := range bg {
			m.Update(msg)
		}
		press(m, "?") // the full help: drawn by the bubbles help model
		return m.View().Content
	}
	dark, light := view("dark"), view("light")
	if dark == light {
		t.Fatal("the dark and light themes draw the same screen")
	}
	if got := view("", white); got != light {
		t.Error("auto on a light background does not draw the light theme")
	}
	if got := view("auto", white, black); got != dark {
		t.Error("auto does not follow a background that turns dark")
	}
	if got := view("dark", white); got != dark {
		t.Error("a forced dark theme followed a light background")
	}
	for theme, want := range map[string]bool{"": true, "auto": true, "dark": false, "light": false, "contrast": false} {
		m, _ := fixture(t, 80, 24, 3, Options{Theme: theme})
		if got := asksBackground(m.Init()); got != want {
			t.Errorf("theme %q: Init asks for the background: %v, want %v", theme, got, want)
		}
	}
}

// asksBackground reports whether cmd, a batch, holds tea.RequestBackgroundColor.
// It runs only the batch itself, none of its commands (they do I/O).
func asksBackground(cmd tea.Cmd) bool {
	want := reflect.ValueOf(tea.RequestBackgroundColor).Pointer()
	batch, _ := cmd().(tea.BatchMsg)
	for _, c := range batch {
		if c != nil && reflect.ValueOf(c).Pointer() == want {
			return true
		}
	}
	return false
}

var sgrColour = regexp.MustCompile(`[34]8;2;(\d+);(\d+);(\d+)`)

// Every colour on every screen comes from its theme's palette: none is
// hard-coded in a view, and none leaks from another theme.
func TestViewColoursComeFromThePalette(t *testing.T) {
	for _, theme := range []common.Theme{common.ThemeDark, common.ThemeLight, common.ThemeContrast} {
		t.Run(string(theme), func(t *testing.T) {
			allowed := paletteColours(common.StylesFor(theme, true).Pal)
			for name, content := range themeScreens(t, string(theme)) {
				for _, c := range sgrColour.FindAllStringSubmatch(content, -1) {
					if !allowed[c[1]+","+c[2]+","+c[3]] {
						t.Errorf("%s screen: colour %s is not in the %s palette", name, c[0], theme)
					}
				}
			}
		})
	}
}

// paletteColours is the set of the palette's colours as "r,g,b".
func paletteColours(p common.Palette) map[string]bool {
	set := map[string]bool{}
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(color.Color)
		if !ok || c == nil {
			continue
		}
		r, g, b, _ := c.RGBA()
		set[strconv.Itoa(int(r>>8))+","+strconv.Itoa(int(g>>8))+","+strconv.Itoa(int(b>>8))] = true
	}
	return set
}

// themeScreens renders every screen of the dashboard in one theme.
func themeScreens(t *testing.T, theme string) map[string]string {
	out := map[string]string{}
	for _, v := range goldenViews {
		for _, sz := range goldenSizes {
			m := v.open(t, sz[0], sz[1], Options{Theme: theme})
			out[fmt.Sprintf("%s %dx%d", v.name, sz[0], sz[1])] = m.View().Content
		}
	}
	m, _ := fixture(t, 80, 24, 32, Options{Theme: theme})
	m.mon.on, m.mon.gen = true, 1
	m.events.SetMonitor(true, "")
	m.Update(monitorLinesMsg{gen: 1, lines: []string{`1795687170.1 [0 lua] "LMOVE" "image_processing:pending" "image_processing:processing" "LEFT" "RIGHT"`}})
	out["monitor, 32 workers"] = m.View().Content
	return out
}
