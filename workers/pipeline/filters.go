package pipeline

import (
	"fmt"
	"strings"
)

type paramKind int

const (
	paramNone paramKind = iota
	paramNumber
	paramSize
)

// filterDef is the single source of truth for names, ranges and help text:
// Parse, Filters and the error messages all read it.
type filterDef struct {
	name       string
	kind       paramKind
	min, max   float64
	zeroSideOK bool // resize: 0 on one side keeps the aspect ratio
	example    string
	help       string
}

var filterDefs = []filterDef{
	{name: "brightness", kind: paramNumber, min: 0, max: 10, example: "brightness:1.8",
		help: "multiply every channel by F (like Pillow ImageEnhance.Brightness): 1 keeps, 1.8 brightens 80%, 0.5 darkens, 0 is black"},
	{name: "contrast", kind: paramNumber, min: 0, max: 10, example: "contrast:1.5",
		help: "scale the distance from the mean grey by F (like Pillow ImageEnhance.Contrast): 1 keeps, 0 is flat grey"},
	{name: "blur", kind: paramNumber, min: 0, max: 50, example: "blur:2",
		help: "Gaussian blur with standard deviation SIGMA pixels (like Pillow GaussianBlur(radius)); 0 keeps"},
	{name: "sharpen", kind: paramNumber, min: 0, max: 50, example: "sharpen:1",
		help: "unsharp mask: 2*image - blur(SIGMA); 0 keeps"},
	{name: "grayscale", kind: paramNone, example: "grayscale",
		help: "luma 0.299R + 0.587G + 0.114B (like Pillow convert(\"L\"))"},
	{name: "edges", kind: paramNone, example: "edges",
		help: "3x3 Laplacian edge detector (like Pillow FIND_EDGES); flat areas become black"},
	{name: "invert", kind: paramNone, example: "invert",
		help: "negative: 255 - value on each colour channel"},
	{name: "resize", kind: paramSize, min: 0, max: MaxSide, zeroSideOK: true, example: "resize:800x0",
		help: "resize to exactly WxH (Lanczos); a 0 side keeps the aspect ratio"},
	{name: "fit", kind: paramSize, min: 1, max: MaxSide, example: "fit:800x600",
		help: "shrink to fit inside WxH keeping the aspect ratio; never enlarges"},
	{name: "thumbnail", kind: paramSize, min: 1, max: MaxSide, example: "thumbnail:200x200",
		help: "scale and centre-crop to fill exactly WxH"},
}

func lookupFilter(name string) (filterDef, bool) {
	for _, d := range filterDefs {
		if d.name == name {
			return d, true
		}
	}
	return filterDef{}, false
}

func validNames() string {
	names := make([]string, len(filterDefs))
	for i, d := range filterDefs {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// FilterInfo describes one filter for CLI help and the dashboard.
type FilterInfo struct {
	Name    string // "blur"
	Syntax  string // "blur:SIGMA"
	Range   string // "0 to 50", or "" for filters without a parameter
	Example string // "blur:2"
	Help    string // one line
}

// Filters lists every filter Parse accepts, in a stable order.
func Filters() []FilterInfo {
	out := make([]FilterInfo, len(filterDefs))
	for i, d := range filterDefs {
		fi := FilterInfo{Name: d.name, Syntax: d.name, Example: d.example, Help: d.help}
		switch d.kind {
		case paramNumber:
			fi.Syntax += ":" + paramWord(d.name)
			fi.Range = fmt.Sprintf("%s to %s", fmtNum(d.min), fmtNum(d.max))
		case paramSize:
			fi.Syntax += ":WxH"
			if d.zeroSideOK {
				fi.Range = fmt.Sprintf("0 to %d per side, not both 0", MaxSide)
			} else {
				fi.Range = fmt.Sprintf("1 to %d per side", MaxSide)
			}
		}
		out[i] = fi
	}
	return out
}

func paramWord(name string) string {
	if name == "blur" || name == "sharpen" {
		return "SIGMA"
	}
	return "F"
}
