package pipeline

import (
	"image"
	"image/color"
	"testing"
)

// Both paths must get the pixel facts right.
var paths = []struct {
	name string
	run  func(testing.TB, image.Image, string) image.Image
}{
	{"fast", mustApply},
	{"reference", mustReference},
}

func TestPointFilters(t *testing.T) {
	tests := []struct {
		spec    string
		in      color.NRGBA
		r, g, b uint8
	}{
		{"brightness:1.8", color.NRGBA{100, 100, 100, 255}, 180, 180, 180},
		{"brightness:1.8", color.NRGBA{200, 128, 10, 255}, 255, 230, 18},
		{"brightness:0.5", color.NRGBA{100, 50, 1, 255}, 50, 25, 1},
		{"brightness:0", color.NRGBA{100, 50, 1, 255}, 0, 0, 0},
		{"invert", color.NRGBA{0, 100, 255, 255}, 255, 155, 0},
		{"grayscale", color.NRGBA{255, 0, 0, 255}, 76, 76, 76},
		{"grayscale", color.NRGBA{10, 200, 30, 255}, 124, 124, 124},
		{"brightness:1.8,grayscale", color.NRGBA{200, 100, 50, 255}, 192, 192, 192},
		{"contrast:0", color.NRGBA{90, 90, 90, 255}, 90, 90, 90},
		{"contrast:2", color.NRGBA{90, 90, 90, 255}, 90, 90, 90}, // flat: pivot is the pixel itself
		{"edges", color.NRGBA{90, 40, 200, 255}, 0, 0, 0},
		{"blur:3", color.NRGBA{90, 40, 200, 255}, 90, 40, 200},
		{"sharpen:2", color.NRGBA{90, 40, 200, 255}, 90, 40, 200},
	}
	for _, p := range paths {
		for _, tt := range tests {
			out := p.run(t, flat(40, 40, tt.in), tt.spec)
			for _, pt := range []image.Point{{0, 0}, {20, 20}, {39, 39}} {
				r, g, b := rgbAt(out, pt.X, pt.Y)
				if r != tt.r || g != tt.g || b != tt.b {
					t.Errorf("%s %s on %v at %v = %d,%d,%d want %d,%d,%d", p.name, tt.spec, tt.in, pt, r, g, b, tt.r, tt.g, tt.b)
				}
			}
		}
	}
}

func TestGrayscaleIsGrey(t *testing.T) {
	img := mustSample(t, 64, 48, 1)
	for _, p := range paths {
		out := p.run(t, img, "grayscale")
		for y := 0; y < 48; y++ {
			for x := 0; x < 64; x++ {
				if r, g, b := rgbAt(out, x, y); r != g || g != b {
					t.Fatalf("%s: pixel %d,%d = %d,%d,%d", p.name, x, y, r, g, b)
				}
			}
		}
	}
	if _, ok := mustApply(t, img, "brightness:1.8,blur:2,grayscale").(*image.Gray); !ok {
		t.Error("fast path should give a 1-channel image for a grey result")
	}
}

func TestContrastStretchesAroundMean(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{100, 100, 100, 255, 140, 140, 140, 255}) // mean 120
	for _, p := range paths {
		out := p.run(t, img, "contrast:2")
		if r, _, _ := rgbAt(out, 0, 0); r != 80 {
			t.Errorf("%s: dark pixel = %d, want 80", p.name, r)
		}
		if r, _, _ := rgbAt(out, 1, 0); r != 160 {
			t.Errorf("%s: light pixel = %d, want 160", p.name, r)
		}
	}
}

func TestBlurSharpenEdges(t *testing.T) {
	img := mustSample(t, 160, 120, 2)
	v0 := variance(img)
	for _, p := range paths {
		if v := variance(p.run(t, img, "blur:2")); v >= v0*0.95 {
			t.Errorf("%s: blur variance %.1f, source %.1f", p.name, v, v0)
		}
		if v := variance(p.run(t, img, "sharpen:1")); v <= v0 {
			t.Errorf("%s: sharpen variance %.1f, source %.1f", p.name, v, v0)
		}
		// A vertical step edge: edges lights up next to it and nowhere else.
		step := flat(20, 10, color.NRGBA{50, 50, 50, 255})
		for y := 0; y < 10; y++ {
			for x := 10; x < 20; x++ {
				step.Pix[step.PixOffset(x, y)], step.Pix[step.PixOffset(x, y)+1], step.Pix[step.PixOffset(x, y)+2] = 150, 150, 150
			}
		}
		out := p.run(t, step, "edges")
		if r, _, _ := rgbAt(out, 10, 5); r != 255 {
			t.Errorf("%s: edge pixel = %d, want 255 (3*100 clamped)", p.name, r)
		}
		if r, _, _ := rgbAt(out, 3, 5); r != 0 {
			t.Errorf("%s: flat pixel = %d, want 0", p.name, r)
		}
	}
}

func TestResizeFitThumbnail(t *testing.T) {
	img := mustSample(t, 400, 300, 3)
	tests := []struct {
		spec string
		w, h int
	}{
		{"resize:200x100", 200, 100},
		{"resize:200x0", 200, 150},
		{"resize:0x60", 80, 60},
		{"fit:100x100", 100, 75},
		{"fit:1000x1000", 400, 300},
		{"thumbnail:50x50", 50, 50},
		{"grayscale,resize:40x0", 40, 30},
	}
	for _, p := range paths {
		for _, tt := range tests {
			b := p.run(t, img, tt.spec).Bounds()
			if b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("%s %s: %dx%d, want %dx%d", p.name, tt.spec, b.Dx(), b.Dy(), tt.w, tt.h)
			}
			if w, h := MustParse(tt.spec).OutputSize(400, 300); w != tt.w || h != tt.h {
				t.Errorf("OutputSize(%s) = %dx%d", tt.spec, w, h)
			}
		}
	}
}

// Transparent images are not the fast path's business: they must still
// come out right (alpha kept).
func TestTransparentInput(t *testing.T) {
	img := flat(30, 30, color.NRGBA{100, 100, 100, 128})
	out := mustApply(t, img, "brightness:1.8,blur:1,grayscale")
	c := color.NRGBAModel.Convert(out.At(15, 15)).(color.NRGBA)
	if c.A != 128 || c.R != 180 {
		t.Errorf("got %v, want grey 180 at alpha 128", c)
	}
}

// OutputSize (used to refuse huge results up front) must agree with what
// imaging actually makes, including its rounding on extreme aspect ratios.
func TestOutputSizeMatchesImaging(t *testing.T) {
	for _, sz := range [][2]int{{1000, 3}, {3, 1000}, {17, 13}, {640, 480}, {1, 1}} {
		img := image.NewNRGBA(image.Rect(0, 0, sz[0], sz[1]))
		for _, spec := range []string{"resize:100x0", "resize:0x7", "fit:100x100", "fit:5x600", "fit:1x1", "thumbnail:9x4"} {
			out := mustReference(t, img, spec)
			w, h := MustParse(spec).OutputSize(sz[0], sz[1])
			if b := out.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Errorf("%v %s: imaging made %dx%d, OutputSize says %dx%d", sz, spec, b.Dx(), b.Dy(), w, h)
			}
		}
	}
}
