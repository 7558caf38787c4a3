package common

import (
	"math"
	"testing"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"cat.jpg":                           "cat.jpg",
		"a\x1b[2Jb":                         "ab",
		"a\x1b]0;title\x07b":                "ab",
		"a\x9b31mb":                         "ab", // a C1 CSI is a whole sequence too
		"a\rb\nc\td":                        "a b c d",
		"x\x7fy\x00z":                       "xyz",
		"\u202eevil":                        "evil",
		"caf\xc3":                           "caf\uFFFD",
		"niño ✓":                            "niño ✓",
		"\x1b[31mred\x1b[0m \x1bPdcs\x1b\\": "red ",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSparklineAndBars(t *testing.T) {
	if got := Sparkline([]float64{math.NaN(), 0, 1, 2, 4}); got != " ▁▃▅█" {
		t.Errorf("Sparkline = %q", got)
	}
	if f, e := Bar(1, 8, 8); f != "█" || e != "───────" {
		t.Errorf("Bar(1,8,8) = %q %q", f, e)
	}
	if f, _ := Bar(0.01, 100, 10); f != "▏" {
		t.Errorf("a tiny non-zero value should show a sliver, got %q", f)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(1234), "1234"}, {Count(12345), "12 345"}, {Count(1234567), "1 234 567"},
		{Rate(0), "0/s"}, {Rate(2.345), "2.3/s"}, {Rate(250), "250/s"},
		{Marked("py-4242", "◦", 10), "py-4242 ◦ "}, {Marked("worker-12345", "◦", 10), "worker-… ◦"},
		{Percent(0.876), "88%"}, {Fit("abcdef", 4), "abc…"}, {FitLeft("ab", 4), "  ab"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
