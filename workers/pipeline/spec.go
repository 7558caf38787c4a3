// Package pipeline is the pure-Go image pipeline run by imgq workers: it
// parses filter specs, inspects and decodes untrusted inputs safely, applies
// the filters (with a fast planner for the common cases), encodes the result
// and writes it inside an output folder it cannot escape.
package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadSpec marks a filter spec that can never succeed: callers should treat
// it as a permanent failure (no retry). Every Parse error wraps it.
var ErrBadSpec = errors.New("bad filter spec")

// Limits on a spec, so a task cannot ask for unbounded work.
const (
	MaxSpecLen = 1024 // bytes in a spec string
	MaxSteps   = 32   // filters in one spec
	MaxSide    = 10000
)

// Step is one parsed filter. Value is used by the numeric filters
// (brightness, contrast, blur, sharpen); W and H by the size filters
// (resize, fit, thumbnail).
type Step struct {
	Name  string
	Value float64
	W, H  int
}

// Spec is an ordered list of filters; the empty Spec just re-encodes.
type Spec []Step

// SpecError tells which filter of a spec is wrong and why. It wraps ErrBadSpec.
type SpecError struct {
	Index int    // 1-based position of the filter, 0 for the spec as a whole
	Part  string // the filter text as written
	Msg   string
}

func (e *SpecError) Error() string {
	if e.Index == 0 {
		return "filter spec: " + e.Msg
	}
	return fmt.Sprintf("filter %d %q: %s", e.Index, e.Part, e.Msg)
}

func (e *SpecError) Unwrap() error { return ErrBadSpec }

// Parse reads a spec such as "brightness:1.8, blur:2, grayscale". Names are
// case-insensitive, spaces around names, parameters and commas are ignored,
// and an empty (or blank) spec is valid. Errors wrap ErrBadSpec and name the
// offending filter.
func Parse(s string) (Spec, error) {
	if len(s) > MaxSpecLen {
		return nil, &SpecError{Msg: fmt.Sprintf("longer than %d bytes", MaxSpecLen)}
	}
	if strings.TrimSpace(s) == "" {
		return Spec{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxSteps {
		return nil, &SpecError{Msg: fmt.Sprintf("%d filters, at most %d allowed", len(parts), MaxSteps)}
	}
	spec := make(Spec, 0, len(parts))
	for i, raw := range parts {
		st, msg := parseStep(raw)
		if msg != "" {
			return nil, &SpecError{Index: i + 1, Part: strings.TrimSpace(raw), Msg: msg}
		}
		spec = append(spec, st)
	}
	return spec, nil
}

// MustParse is Parse for specs known at compile time; it panics on error.
func MustParse(s string) Spec {
	spec, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return spec
}

func parseStep(raw string) (Step, string) {
	part := strings.TrimSpace(raw)
	if part == "" {
		return Step{}, "empty filter (valid: " + validNames() + ")"
	}
	name, param, hasParam := strings.Cut(part, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	param = strings.TrimSpace(param)
	def, ok := lookupFilter(name)
	if !ok {
		return Step{}, fmt.Sprintf("unknown filter %q (valid: %s)", name, validNames())
	}
	st := Step{Name: def.name}
	switch def.kind {
	case paramNone:
		if hasParam {
			return Step{}, fmt.Sprintf("%s takes no parameter", def.name)
		}
	case paramNumber:
		v, err := strconv.ParseFloat(param, 64)
		// v != v catches NaN, which compares false against both bounds.
		if !hasParam || err != nil || v != v || v < def.min || v > def.max {
			return Step{}, fmt.Sprintf("%s needs a number from %s to %s (e.g. %s)",
				def.name, fmtNum(def.min), fmtNum(def.max), def.example)
		}
		st.Value = v + 0 // turns -0 into 0 so String stays canonical
	case paramSize:
		w, h, ok := parseSize(param, def.zeroSideOK)
		if !hasParam || !ok {
			return Step{}, def.name + " " + sizeHelp(def)
		}
		st.W, st.H = w, h
	}
	return st, ""
}

// parseSize reads "WxH" (x or X). With zeroOK one side may be 0.
func parseSize(p string, zeroOK bool) (int, int, bool) {
	ws, hs, ok := strings.Cut(strings.ToLower(p), "x")
	if !ok {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(strings.TrimSpace(ws))
	h, err2 := strconv.Atoi(strings.TrimSpace(hs))
	if err1 != nil || err2 != nil || w < 0 || h < 0 || w > MaxSide || h > MaxSide {
		return 0, 0, false
	}
	if zeroOK {
		return w, h, w > 0 || h > 0
	}
	return w, h, w > 0 && h > 0
}

func sizeHelp(def filterDef) string {
	if def.zeroSideOK {
		return fmt.Sprintf("needs WxH with sizes from 0 to %d, not both 0 (0 keeps the aspect ratio; e.g. %s)", MaxSide, def.example)
	}
	return fmt.Sprintf("needs WxH with sizes from 1 to %d (e.g. %s)", MaxSide, def.example)
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// String gives the canonical form of a step, which Parse reads back to an
// equal Step.
func (st Step) String() string {
	def, ok := lookupFilter(st.Name)
	if !ok {
		return st.Name
	}
	switch def.kind {
	case paramNumber:
		return st.Name + ":" + fmtNum(st.Value)
	case paramSize:
		return st.Name + ":" + strconv.Itoa(st.W) + "x" + strconv.Itoa(st.H)
	}
	return st.Name
}

// String gives the canonical form of the spec: lower-case names, no spaces,
// shortest numbers. Parse(s.String()) returns an equal Spec.
func (s Spec) String() string {
	var b strings.Builder
	for i, st := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(st.String())
	}
	return b.String()
}
