// Package common holds what every dashboard component shares: the styles built
// from one palette, the key bindings, the language table, the clock and the size
// of the screen. It is injected into each component (soft-serve's pattern), so
// no component reaches for a global.
package common

import (
	"context"
	"time"
)

// Common is passed by value to every component; its pointer fields are shared.
type Common struct {
	Ctx    context.Context
	Styles *Styles
	Keys   *KeyMap
	Lang   *Lang
	// Now is the dashboard's clock. Tests fix it so views are reproducible.
	Now func() time.Time
	// Loc is the zone times are shown in (UTC in tests).
	Loc *time.Location
	// Theme is the theme asked for (--theme); Styles holds its palette as
	// resolved for the terminal's background (see SetBackground).
	Theme Theme
}

// New builds the shared state for language lang ("en" or "es").
func New(ctx context.Context, lang string) Common {
	l := NewLang(lang)
	return Common{
		Ctx:    ctx,
		Styles: DefaultStyles(),
		Keys:   DefaultKeyMap(l),
		Lang:   l,
		Now:    time.Now,
		Loc:    time.Local,
	}
}

// SetBackground re-resolves the theme for a terminal whose background is
// dark or not (an auto theme follows it; the others stay). It rewrites the
// shared Styles in place, so every component, which holds the same pointer,
// draws its next frame in the new palette; a component that copies a style
// at construction (as a bubbles help.Model does) must copy it again.
func (c Common) SetBackground(dark bool) {
	*c.Styles = *StylesFor(c.Theme, dark)
}

// T translates a label; see i18n.go.
func (c Common) T(key string) string { return c.Lang.T(key) }

// N is T for a label that counts n things ("3 busy"): its plural where the
// language has one.
func (c Common) N(key string, n int) string { return c.Lang.N(key, n) }
