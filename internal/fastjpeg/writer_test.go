package fastjpeg

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

func TestGrayJPEGMatchesStdlib(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {64, 48}, {333, 250}} {
		g := testGray(sz[0], sz[1])
		for _, q := range []int{1, 30, 75, 90, 100} {
			var want bytes.Buffer
			if err := jpeg.Encode(&want, g, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			got, err := EncodeGray(g, q, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%v q%d: %d bytes differ from image/jpeg's %d", sz, q, len(got), want.Len())
			}
		}
	}
}

// With restart markers the pixels must decode exactly as without.
func TestGrayJPEGStrips(t *testing.T) {
	g := testGray(301, 211)
	one, _ := EncodeGray(g, 90, 1)
	ref, err := jpeg.Decode(bytes.NewReader(one))
	if err != nil {
		t.Fatal(err)
	}
	for _, strips := range []int{2, 3, 7, 27, 100} {
		data, err := EncodeGray(g, 90, strips)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%d strips: %v", strips, err)
		}
		if !bytes.Equal(img.(*image.Gray).Pix, ref.(*image.Gray).Pix) {
			t.Errorf("%d strips decode differently", strips)
		}
	}
}

func TestQuantizeIsExactDivision(t *testing.T) {
	for _, q := range []int{1, 50, 90, 100} {
		e := newGrayEncoder(q)
		for i := range blockSize {
			d := 2 * e.half[i]
			for a := int32(-1 << 17); a <= 1<<17; a += 7 {
				want := (a + d/2) / d
				if a < 0 {
					want = -((-a + d/2) / d)
				}
				if got := e.quantize(a, i); got != want {
					t.Fatalf("q%d i%d: %d/%d = %d, want %d", q, i, a, d, got, want)
				}
			}
		}
	}
}

func BenchmarkGrayJPEG(b *testing.B) {
	g := testGray(1920, 1080)
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			_ = jpeg.Encode(&buf, g, &jpeg.Options{Quality: 90})
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_, _ = EncodeGray(g, 90, 1)
		}
	})
}
