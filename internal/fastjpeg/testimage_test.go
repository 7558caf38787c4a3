package fastjpeg

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// testPicture is a deterministic picture with what a JPEG codec finds hard:
// smooth gradients (DC-only blocks), hard-edged stripes and checks (long AC
// runs) and fine noise (big coefficients).
func testPicture(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 0x6a706567))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := x*255/max(w-1, 1), y*255/max(h-1, 1)
			c := color.RGBA{uint8(fx), uint8(fy), uint8(255 - (fx+fy)/2), 255}
			switch {
			case x < w/3 && y > h/2 && (x/max(1, w/40))%2 == 0: // stripes
				c = color.RGBA{230, 40, 60, 255}
			case x > 2*w/3 && y > h/2 && (x/max(1, w/30)+y/max(1, w/30))%2 == 0: // checks
				c = color.RGBA{20, 20, 90, 255}
			}
			n := rng.IntN(25) - 12 // grain
			c.R, c.G, c.B = clamp(int(c.R)+n), clamp(int(c.G)+n), clamp(int(c.B)+n)
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func clamp(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// testJPEG is testPicture encoded by image/jpeg (YCbCr 4:2:0).
func testJPEG(t testing.TB, w, h int, seed uint64, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPicture(w, h, seed), &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testGray is testPicture's luminance.
func testGray(w, h int) *image.Gray {
	src := testPicture(w, h, 11)
	g := image.NewGray(src.Rect)
	for y := range h {
		for x := range w {
			g.Set(x, y, src.At(x, y))
		}
	}
	return g
}
