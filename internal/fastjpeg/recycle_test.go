package fastjpeg

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// TestRecycledDecodeMatches decodes files into recycled buffers full of a
// poison byte, and into the buffers of the file decoded before (a smaller
// picture after a larger one, grey after colour, other subsamplings): the
// images must be image/jpeg's exactly, so no byte of an earlier image or
// of the poison survives a decode.
func TestRecycledDecodeMatches(t *testing.T) {
	var grey bytes.Buffer
	if err := jpeg.Encode(&grey, testGray(203, 117), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	files := [][]byte{
		testJPEG(t, 640, 480, 1, 90),
		testJPEG(t, 333, 250, 2, 75),
		grey.Bytes(),
		testJPEG(t, 97, 61, 3, 95),
	}
	for _, data := range jpegCorpus(t) {
		if _, err := decode(data); err == nil {
			files = append(files, data) // 4:4:4, 4:2:2, restarts, ...
		}
	}
	hits := 0
	for round := range 16 {
		poison := uint8(37*round + 1)
		for i, data := range files {
			buf := make([]uint8, 640*480*3)
			for j := range buf {
				buf[j] = poison
			}
			pixPool.Put(&buf)
			for _, helpers := range []int{0, 2} {
				img, err := decodeWith(data, helpers)
				if err != nil {
					t.Fatalf("round %d file %d: %v", round, i, err)
				}
				if planeStart(img) == &buf[0] {
					hits++
				}
				std, err := jpeg.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if !sameImage(img, std) {
					t.Fatalf("round %d file %d (%v, %d helpers): recycled decode differs from image/jpeg", round, i, img.Bounds(), helpers)
				}
				Recycle(img) // the next file (or helpers) decodes into it
			}
		}
	}
	// sync.Pool may drop a Put (always possible, often under -race), but
	// not nearly all of them.
	if hits == 0 {
		t.Fatal("no decode reused a recycled buffer")
	}
}

func planeStart(img image.Image) *uint8 {
	switch m := img.(type) {
	case *image.YCbCr:
		return &m.Y[0]
	case *image.Gray:
		return &m.Pix[0]
	}
	return nil
}

// TestRecycleIgnoresForeignImages: image/jpeg's images, sub-images that do
// not start the buffer, and oversized ones never enter the pool.
func TestRecycleIgnoresForeignImages(t *testing.T) {
	std, err := jpeg.Decode(bytes.NewReader(testJPEG(t, 64, 48, 1, 90)))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := decode(testJPEG(t, 64, 48, 1, 90))
	if err != nil {
		t.Fatal(err)
	}
	sub := fast.(*image.YCbCr).SubImage(image.Rect(16, 16, 32, 32))
	big := image.NewGray(image.Rect(0, 0, 4000, 4000))
	for _, img := range []image.Image{std, sub, big, nil, image.NewRGBA(image.Rect(0, 0, 4, 4))} {
		for pixPool.Get() != nil { // empty the pool
		}
		Recycle(img)
		if got := pixPool.Get(); got != nil && img != big {
			t.Fatalf("%T %v entered the pool", img, img)
		} else if got != nil {
			t.Fatal("an image over maxRecycled entered the pool")
		}
	}
}

// TestRecycledStripsMatch: strips encoded into recycled (poisoned) buffers
// give the bytes of strips encoded into new ones, a small image after a
// large one included.
func TestRecycledStripsMatch(t *testing.T) {
	imgs := []*image.Gray{testGray(640, 480), testGray(301, 211), testGray(64, 48)}
	want := make([][]byte, len(imgs))
	for i, g := range imgs {
		for stripPool.Get() != nil { // new buffers only
		}
		var err error
		if want[i], err = EncodeGray(g, 90, 7); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 8 {
		for range 8 {
			b := bytes.Repeat([]byte{uint8(31*round + 5)}, 64<<10)
			putStripBuf(b[:0])
		}
		for i, g := range imgs {
			got, err := EncodeGray(g, 90, 7)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want[i]) {
				t.Fatalf("round %d image %d: recycled strips give other bytes", round, i)
			}
			if cap(got) != len(got) {
				t.Fatalf("image %d: output has %d bytes of capacity for %d", i, cap(got), len(got))
			}
		}
	}
}
