package workers

import (
	"bytes"
	"strings"
	"testing"
)

// readSized reads into a recycled buffer when it is big enough, and the
// stale bytes of the previous photo never show through.
func TestReadSizedReusesBuffer(t *testing.T) {
	old := bytes.Repeat([]byte{0xEE}, 64)
	got, err := readSized(old[:10], strings.NewReader("new photo"), 9)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new photo" {
		t.Fatalf("read %q, want %q", got, "new photo")
	}
	if &got[:1][0] != &old[0] {
		t.Error("a big enough buffer was not reused")
	}

	small := make([]byte, 0, 4)
	got, err = readSized(small, strings.NewReader("longer than four"), 16)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "longer than four" {
		t.Fatalf("read %q into a small buffer, want %q", got, "longer than four")
	}

	// A file that grew after its Stat still reads to its end.
	got, err = readSized(old[:0], strings.NewReader(strings.Repeat("x", 100)), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 {
		t.Fatalf("read %d bytes of a file that grew to 100", len(got))
	}
}
