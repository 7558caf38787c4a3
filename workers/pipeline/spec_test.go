package pipeline

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in, canon string
		steps     int
	}{
		{"", "", 0},
		{"   ", "", 0},
		{"brightness:1.8,blur:2,grayscale", "brightness:1.8,blur:2,grayscale", 3},
		{" Brightness : 1.80 , BLUR:2 ,  GrayScale ", "brightness:1.8,blur:2,grayscale", 3},
		{"contrast:0,sharpen:50,edges,invert", "contrast:0,sharpen:50,edges,invert", 4},
		{"brightness:-0", "brightness:0", 1},
		{"brightness:10", "brightness:10", 1},
		{"resize:800x0", "resize:800x0", 1},
		{"resize: 0 X 600", "resize:0x600", 1},
		{"fit:10000x1,thumbnail:200x200", "fit:10000x1,thumbnail:200x200", 2},
		{"blur:.5", "blur:0.5", 1},
		{"blur:1e1", "blur:10", 1},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if len(s) != tt.steps || s.String() != tt.canon {
			t.Errorf("Parse(%q) = %d steps %q, want %d %q", tt.in, len(s), s, tt.steps, tt.canon)
		}
		again, err := Parse(s.String())
		if err != nil || again.String() != s.String() {
			t.Errorf("round trip of %q: %q, %v", s, again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"brightness:1.8,blurr:2", `filter 2 "blurr:2": unknown filter "blurr" (valid: brightness, contrast, blur, sharpen, grayscale, edges, invert, resize, fit, thumbnail)`},
		{"brightness:abc", `filter 1 "brightness:abc": brightness needs a number from 0 to 10`},
		{"brightness", `filter 1 "brightness": brightness needs a number from 0 to 10`},
		{"brightness:11", "brightness needs a number from 0 to 10"},
		{"brightness:-1", "brightness needs a number from 0 to 10"},
		{"brightness:NaN", "brightness needs a number from 0 to 10"},
		{"brightness:inf", "brightness needs a number from 0 to 10"},
		{"blur:51", `filter 1 "blur:51": blur needs a number from 0 to 50`},
		{"grayscale:1", `filter 1 "grayscale:1": grayscale takes no parameter`},
		{"grayscale,,blur:1", `filter 2 "": empty filter`},
		{"grayscale,", `filter 2 "": empty filter`},
		{"resize:0x0", "resize needs WxH with sizes from 0 to 10000, not both 0"},
		{"resize:10001x5", "resize needs WxH"},
		{"resize:-5x5", "resize needs WxH"},
		{"fit:0x100", "fit needs WxH with sizes from 1 to 10000"},
		{"thumbnail:100", "thumbnail needs WxH"},
		{"thumbnail:axb", "thumbnail needs WxH"},
		{strings.Repeat("invert,", 40) + "invert", "at most 32 allowed"},
		{strings.Repeat(" ", 2000), "longer than 1024 bytes"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", tt.in)
			continue
		}
		if !errors.Is(err, ErrBadSpec) {
			t.Errorf("Parse(%q) error %v does not wrap ErrBadSpec", tt.in, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error\n got: %v\nwant: %s", tt.in, err, tt.want)
		}
	}
}

func TestFiltersDescribeEveryFilter(t *testing.T) {
	fs := Filters()
	if len(fs) != len(filterDefs) {
		t.Fatalf("Filters() has %d entries, want %d", len(fs), len(filterDefs))
	}
	for _, f := range fs {
		if f.Name == "" || f.Help == "" || !strings.HasPrefix(f.Syntax, f.Name) {
			t.Errorf("incomplete %+v", f)
		}
		if _, err := Parse(f.Example); err != nil {
			t.Errorf("example %q of %s does not parse: %v", f.Example, f.Name, err)
		}
	}
	if fs[2].Syntax != "blur:SIGMA" || fs[2].Range != "0 to 50" {
		t.Errorf("blur described as %+v", fs[2])
	}
}

func TestPlan(t *testing.T) {
	tests := []struct{ in, want string }{
		{"brightness:1.8,blur:2,grayscale", "brightness:1.8,grayscale,blur:2"},
		{"blur:2,invert,grayscale,grayscale", "grayscale,blur:2,invert"},
		{"blur:0,brightness:1,contrast:1,sharpen:0", ""},
		{"sharpen:1,grayscale", "sharpen:1,grayscale"},
		{"edges,grayscale,blur:1", "edges,grayscale,blur:1"},
		{"brightness:1.8,grayscale,brightness:0.5", "brightness:1.8,grayscale,brightness:0.5"},
	}
	for _, tt := range tests {
		if got := plan(MustParse(tt.in)).String(); got != tt.want {
			t.Errorf("plan(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
