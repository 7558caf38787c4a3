package pipeline

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/imgq/imgq/internal/fastjpeg"
)

// freshProcess is Process as the first photo of a new worker process sees
// it: the buffer pools emptied (sync.Pool drops its contents over two GCs).
func freshProcess(t *testing.T, in []byte, spec Spec) []byte {
	t.Helper()
	runtime.GC()
	runtime.GC()
	out, _, err := Process(context.Background(), in, spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// poisonPools fills the pools with buffers of one byte value: a decode or
// a step that read a byte it did not write would see it.
func poisonPools(t *testing.T, v uint8) {
	t.Helper()
	img, err := fastjpeg.Decode(mustJPEG(t, image.NewGray(image.Rect(0, 0, 1920, 1088))))
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	for i := range g.Pix {
		g.Pix[i] = v
	}
	fastjpeg.Recycle(g)
	for range 4 {
		b := make([]uint8, 1920*1088*4)
		for i := range b {
			b[i] = v
		}
		putBytes(b)
	}
}

func mustJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRecycledBuffersGiveFreshBytes runs photos one after another through
// the recycled decoder planes and pipeline buffers (a smaller photo after a
// larger one, grey after colour, colour after grey, poisoned pools) and
// checks each output is byte for byte what a fresh process makes of it.
func TestRecycledBuffersGiveFreshBytes(t *testing.T) {
	big, err := SampleJPEG(640, 480, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	small, err := SampleJPEG(333, 251, 2, 85)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7 % 251)
	}
	grey := mustJPEG(t, g)
	photos := [][]byte{big, small, grey, big, grey, small}
	specs := []Spec{
		MustParse("brightness:1.8,blur:2,grayscale"), // the course pipeline (early start)
		MustParse("grayscale"),
		MustParse("blur:3"), // colour planes
		MustParse("contrast:1.3,sharpen:1"),
		nil,
	}
	for _, spec := range specs {
		want := make([][]byte, len(photos))
		for i, in := range photos {
			want[i] = freshProcess(t, in, spec)
		}
		for round, poison := range []uint8{0, 0xAA, 0x55} {
			if round > 0 {
				poisonPools(t, poison)
			}
			for i, in := range photos {
				got, _, err := Process(context.Background(), in, spec, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want[i]) {
					t.Fatalf("spec %q, round %d, photo %d: output differs from a fresh process's", spec, round, i)
				}
			}
		}
	}
}
