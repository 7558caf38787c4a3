package pipeline

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"
)

func flat(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func rgbAt(img image.Image, x, y int) (r, g, b uint8) {
	c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	return c.R, c.G, c.B
}

// psnr compares the colour channels of two same-sized images.
func psnr(t testing.TB, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v vs %v", a.Bounds(), b.Bounds())
	}
	ab, bb := a.Bounds(), b.Bounds()
	var se float64
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1 := rgbAt(a, ab.Min.X+x, ab.Min.Y+y)
			r2, g2, b2 := rgbAt(b, bb.Min.X+x, bb.Min.Y+y)
			for _, d := range []float64{float64(r1) - float64(r2), float64(g1) - float64(g2), float64(b1) - float64(b2)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*ab.Dx()*ab.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

func variance(img image.Image) float64 {
	b := img.Bounds()
	var s, s2, n float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _ := rgbAt(img, x, y)
			v := float64(r)
			s += v
			s2 += v * v
			n++
		}
	}
	m := s / n
	return s2/n - m*m
}

func mustApply(t testing.TB, img image.Image, spec string) image.Image {
	t.Helper()
	out, err := Apply(context.Background(), img, MustParse(spec))
	if err != nil {
		t.Fatalf("Apply(%q): %v", spec, err)
	}
	return out
}

func mustReference(t testing.TB, img image.Image, spec string) image.Image {
	t.Helper()
	out, err := Reference(img, MustParse(spec))
	if err != nil {
		t.Fatalf("Reference(%q): %v", spec, err)
	}
	return out
}

func mustSample(t testing.TB, w, h int, seed int64) *image.RGBA {
	t.Helper()
	img, err := Sample(w, h, seed)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// sampleYCbCr is a sample picture as it comes out of the JPEG decoder.
func sampleYCbCr(t testing.TB, w, h int, seed int64) image.Image {
	t.Helper()
	data, err := SampleJPEG(w, h, seed, 90)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Fatalf("decoded %T, want *image.YCbCr", img)
	}
	return img
}
