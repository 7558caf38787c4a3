package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

func TestProcessCoursePipeline(t *testing.T) {
	in, err := SampleJPEG(320, 240, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	out, res, err := Process(context.Background(), in, MustParse("brightness:1.8,blur:2,grayscale"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.InFormat != FormatJPEG || res.OutFormat != FormatJPEG || res.Width != 320 || res.Height != 240 ||
		res.InWidth != 320 || res.Bytes != len(out) || res.InBytes != len(in) || res.Duration <= 0 {
		t.Errorf("result %+v", res)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("grey result encoded as %T, want a 1-channel JPEG", img)
	}
}

func TestProcessFormats(t *testing.T) {
	pngIn := samplePNG(t, 50, 40)
	jpgIn, _ := SampleJPEG(50, 40, 1, 90)
	tests := []struct {
		in   []byte
		f    Format
		want Format
	}{
		{pngIn, FormatAuto, FormatPNG},
		{pngIn, FormatJPEG, FormatJPEG},
		{jpgIn, FormatAuto, FormatJPEG},
		{jpgIn, FormatPNG, FormatPNG},
	}
	for _, tt := range tests {
		out, res, err := Process(context.Background(), tt.in, MustParse("invert"), Options{Format: tt.f})
		if err != nil || res.OutFormat != tt.want {
			t.Errorf("%v -> %v: %v, %v", tt.f, res.OutFormat, res, err)
			continue
		}
		dec := jpeg.Decode
		if tt.want == FormatPNG {
			dec = png.Decode
		}
		if _, err := dec(bytes.NewReader(out)); err != nil {
			t.Errorf("output is not %s: %v", tt.want, err)
		}
	}
}

func TestProcessErrors(t *testing.T) {
	jpg, _ := SampleJPEG(50, 40, 1, 90)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Process(ctx, jpg, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, _, err := Process(context.Background(), []byte("nope"), nil, Options{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad input: %v", err)
	}
	if _, _, err := Process(context.Background(), jpg, MustParse("resize:10000x10000"), Options{Limits: Limits{MaxPixels: 1e6}}); !errors.Is(err, ErrBadSpec) {
		t.Errorf("huge resize: %v", err)
	}
	if _, _, err := Process(context.Background(), jpg, nil, Options{Quality: 101}); err == nil {
		t.Error("quality 101 accepted")
	}
}

func TestSample(t *testing.T) {
	a, b := mustSample(t, 64, 48, 42), mustSample(t, 64, 48, 42)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("same seed gave different pictures")
	}
	if c := mustSample(t, 64, 48, 43); bytes.Equal(a.Pix, c.Pix) {
		t.Error("different seeds gave the same picture")
	}
	if v := variance(a); v < 100 {
		t.Errorf("sample is too flat (variance %.0f)", v)
	}
	for _, sz := range [][2]int{{0, 10}, {10, 0}, {10001, 1}, {-1, 5}, {10000, 10000}} {
		if _, err := Sample(sz[0], sz[1], 1); err == nil {
			t.Errorf("Sample(%v) accepted", sz)
		}
	}
}
