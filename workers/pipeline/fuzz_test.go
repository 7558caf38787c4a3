package pipeline

import (
	"context"
	"errors"
	"testing"
)

var fuzzSpecs = []Spec{
	MustParse("brightness:1.8,blur:2,grayscale"),
	MustParse("contrast:1.3,sharpen:1,edges,invert"),
	MustParse("fit:7x5"),
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"", "brightness:1.8,blur:2,grayscale", "resize:0x600", " Fit : 10X10 ", "blurr:2", "blur:1e400", "contrast:-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrBadSpec) {
				t.Fatalf("error %v does not wrap ErrBadSpec", err)
			}
			return
		}
		canon := spec.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon || len(again) != len(spec) {
			t.Fatalf("round trip %q -> %q -> %q", s, canon, again)
		}
		for i := range spec {
			if spec[i] != again[i] {
				t.Fatalf("step %d: %+v != %+v", i, spec[i], again[i])
			}
		}
	})
}

// FuzzInspect feeds arbitrary bytes to Inspect and, under small limits, to
// Decode: neither may panic, and errors must be ErrBadInput.
func FuzzInspect(f *testing.F) {
	jpg, _ := SampleJPEG(16, 12, 1, 90)
	f.Add(jpg)
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 16}
		if _, err := Inspect(data, lim); err != nil && !errors.Is(err, ErrBadInput) {
			t.Fatalf("Inspect error %v is not ErrBadInput", err)
		}
		img, info, err := Decode(data, lim)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("Decode error %v is not ErrBadInput", err)
			}
			return
		}
		if b := img.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
			t.Fatalf("decoded %v, header said %dx%d", b, info.Width, info.Height)
		}
		// Whatever the decoder made (YCbCr of any subsampling, grey, CMYK,
		// paletted, 16-bit, transparent), the fast path must cope.
		for _, spec := range fuzzSpecs {
			out, err := Apply(context.Background(), img, spec)
			if err != nil {
				t.Fatalf("Apply %s: %v", spec, err)
			}
			if w, h := spec.OutputSize(info.Width, info.Height); out.Bounds().Dx() != w || out.Bounds().Dy() != h {
				t.Fatalf("Apply %s gave %v, want %dx%d", spec, out.Bounds(), w, h)
			}
		}
	})
}
