package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// runaway is a valid chain that runs for many seconds from a tiny input: the
// reliability report's "resize:7000x7000 then blur:50,sharpen:50 x15".
func runaway(t *testing.T, size string, rounds int) Spec {
	t.Helper()
	s := "resize:" + size + strings.Repeat(",blur:50,sharpen:50", rounds) + ",edges"
	spec, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// Cancelling a task stops the filter it is in, not only the chain between
// filters: every row loop looks at ctx every few rows.
func TestCancelStopsInsideAFilter(t *testing.T) {
	in, err := SampleJPEG(16, 16, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		gray  bool
		after time.Duration // when to cancel; 0: 300ms into the first blur
	}{
		{"colour, in the resize", false, 300 * time.Millisecond},
		{"colour, in a blur", false, 0},
		{"grey, in the resize", true, 300 * time.Millisecond},
		{"grey, in a blur", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := runaway(t, "2000x2000", 15)
			if tc.gray {
				spec = append(Spec{{Name: "grayscale"}}, spec...)
			}
			after := tc.after
			if after == 0 {
				// Time the steps up to the resize, whatever the machine's speed.
				img, _, err := Decode(in, DefaultLimits())
				if err != nil {
					t.Fatal(err)
				}
				upTo := 1
				for spec[upTo-1].Name != "resize" {
					upTo++
				}
				start := time.Now()
				if _, err := Apply(context.Background(), img, spec[:upTo]); err != nil {
					t.Fatal(err)
				}
				after = time.Since(start) + 300*time.Millisecond
			}
			ctx, cancel := context.WithCancel(context.Background())
			timer := time.AfterFunc(after, cancel)
			defer timer.Stop()
			start := time.Now()
			_, _, err = Process(ctx, in, spec, Options{})
			late := time.Since(start) - after
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			t.Logf("cancelled after %s, returned %s later", after.Round(time.Millisecond), late.Round(time.Millisecond))
			if late > 2*time.Second*raceSlowdown {
				t.Fatalf("Process returned %s after the cancel, want < %s", late, 2*time.Second*raceSlowdown)
			}
		})
	}
}

// resizeStrips makes the same bytes as one imaging.Resize call, upscaling,
// downscaling, one side only, from colour, grey and cropped images.
func TestResizeStripsMatchesImaging(t *testing.T) {
	rgba, err := Sample(300, 200, 7)
	if err != nil {
		t.Fatal(err)
	}
	gray := imaging.Grayscale(rgba)
	crop := rgba.SubImage(image.Rect(13, 17, 250, 190))
	for _, img := range []image.Image{rgba, gray, crop} {
		for _, sz := range [][2]int{{2000, 1500}, {1000, 40}, {37, 900}, {120, 80}, {300, 700}, {3000, 200}, {0, 500}} {
			b := img.Bounds()
			nw, nh := resizeSize(sz[0], sz[1], b.Dx(), b.Dy())
			want := imaging.Resize(img, sz[0], sz[1], imaging.Lanczos)
			got := resizeStrips(context.Background(), img, nw, nh)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Fatalf("%T %v to %dx%d: strips differ from imaging.Resize", img, b, nw, nh)
			}
		}
	}
}
