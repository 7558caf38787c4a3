package safetext

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain name.jpg", "plain name.jpg"},
		{"\x1b[2J\x1b[31mred\x1b[0m", "red"},
		{"title\x1b]0;pwned\x07x", "titlex"},
		{"bell\x07 nul\x00 del\x7f", "bell nul del"},
		{"c1\u009b31m", "c131m"},
		{"tab\there\nnew", "tab here new"},
		{"bad\xffutf8", "badutf8"},
		{"rtl\u202eevil", "rtlevil"},
		{"héllo 日本", "héllo 日本"},
	}
	for _, c := range cases {
		got := Clean(c.in)
		if got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(got, "\x1b\x07\x00\x7f") {
			t.Errorf("Clean(%q) kept a control byte: %q", c.in, got)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("abcdef", 4); got != "abc…" {
		t.Fatalf("Truncate = %q", got)
	}
	if got := Truncate("abc", 4); got != "abc" {
		t.Fatalf("Truncate short = %q", got)
	}
}

func FuzzClean(f *testing.F) {
	f.Add("\x1b[2Jhello")
	f.Add("\x9b\x1b]8;;http://x\x07link")
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("Clean(%q) = %q keeps control %U", s, got, r)
			}
		}
	})
}
