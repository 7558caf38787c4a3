package pipeline

import (
	"context"
	"errors"
	"image"
	"testing"
)

// The fast path must stay within 40 dB PSNR of the straightforward one.
func TestFastMatchesReference(t *testing.T) {
	specs := []string{
		"",
		"brightness:1.8,blur:2,grayscale",
		"grayscale",
		"brightness:1.8",
		"blur:2",
		"blur:0.6",
		"blur:7",
		"invert,blur:1.5,grayscale,contrast:1.4",
		"grayscale,blur:2,brightness:1.3",
		"contrast:1.5,sharpen:1",
		"edges",
		"grayscale,edges",
		"brightness:0.7,edges,grayscale",
		"blur:1,grayscale,resize:320x0",
		"thumbnail:100x100,sharpen:0.8",
	}
	inputs := map[string]image.Image{
		"ycbcr": sampleYCbCr(t, 333, 250, 7),
		"rgba":  mustSample(t, 301, 211, 8),
		"gray":  mustApply(t, mustSample(t, 129, 97, 9), "grayscale"),
	}
	for name, img := range inputs {
		for _, spec := range specs {
			fast := mustApply(t, img, spec)
			ref := mustReference(t, img, spec)
			if p := psnr(t, fast, ref); p < 40 {
				t.Errorf("%s %q: PSNR %.1f dB < 40", name, spec, p)
			} else {
				t.Logf("%s %q: PSNR %.1f dB", name, spec, p)
			}
		}
	}
}

// Blur is computed on every image size, including ones smaller than the
// kernel, where all pixels are border pixels.
func TestBlurSmallImages(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {1, 50}, {50, 1}, {3, 3}, {13, 7}} {
		img := mustSample(t, sz[0], sz[1], 4)
		for _, spec := range []string{"blur:2", "blur:0.3", "grayscale,blur:5"} {
			fast := mustApply(t, img, spec)
			ref := mustReference(t, img, spec)
			if p := psnr(t, fast, ref); p < 40 {
				t.Errorf("%v %s: PSNR %.1f", sz, spec, p)
			}
		}
	}
}

func TestApplyRefusesHugeOutput(t *testing.T) {
	img := mustSample(t, 2, 1000, 1)
	_, err := Apply(context.Background(), img, MustParse("resize:10000x0"))
	if !errors.Is(err, ErrBadSpec) {
		t.Fatalf("got %v, want ErrBadSpec", err)
	}
	t.Log(err)
}

func TestApplyHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Apply(ctx, mustSample(t, 10, 10, 1), MustParse("blur:1")); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// Degenerate images must not panic anywhere.
func TestApplyEmptyImage(t *testing.T) {
	for _, img := range []image.Image{image.NewNRGBA(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 5, 0)), &image.YCbCr{SubsampleRatio: image.YCbCrSubsampleRatio420}} {
		for _, f := range Filters() {
			spec := MustParse(f.Example)
			if _, err := Apply(context.Background(), img, spec); err != nil {
				t.Errorf("%T %s: %v", img, f.Example, err)
			}
		}
	}
}

// Every width against every kernel radius, 1 and 4 channels: no panics, and
// the same result as imaging.
func TestBlurAllWidths(t *testing.T) {
	for w := 1; w <= 40; w++ {
		img := mustSample(t, w, 5, int64(w))
		for _, spec := range []string{"blur:0.4", "blur:1", "blur:2", "blur:3.3", "grayscale,blur:2", "grayscale,blur:5"} {
			if p := psnr(t, mustApply(t, img, spec), mustReference(t, img, spec)); p < 40 {
				t.Errorf("width %d %s: PSNR %.1f", w, spec, p)
			}
		}
	}
}
