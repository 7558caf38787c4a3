package fastjpeg

import (
	"bytes"
	"fmt"
	"image"
	"sync"
	"testing"
)

// DecodeBands announces every row once, and a row it announces already
// holds its final pixels (it is copied on the spot and compared at the end).
func TestDecodeBandsAnnouncesFinalRows(t *testing.T) {
	files := map[string][]byte{"gray_strips3": nil}
	g, _ := EncodeGray(testGray(333, 250), 90, 3)
	files["gray_strips3"] = g
	for _, sz := range [][2]int{{640, 480}, {101, 77}} {
		files[fmt.Sprintf("ycc_%dx%d", sz[0], sz[1])] = testJPEG(t, sz[0], sz[1], 5, 90)
	}
	for name, data := range files {
		for _, helpers := range []int{0, 1, 3} {
			var mu sync.Mutex
			seen := map[int][]byte{}
			img, err := DecodeBands(data, helpers, func(img image.Image, y0, y1 int) {
				mu.Lock()
				defer mu.Unlock()
				for y := y0; y < y1; y++ {
					if _, dup := seen[y]; dup {
						t.Errorf("%s, %d helpers: row %d announced twice", name, helpers, y)
					}
					seen[y] = bytes.Clone(lumaRow(img, y))
				}
			}, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			h := img.Bounds().Dy()
			if len(seen) != h {
				t.Fatalf("%s, %d helpers: %d rows announced, want %d", name, helpers, len(seen), h)
			}
			for y := range h {
				if !bytes.Equal(seen[y], lumaRow(img, y)) {
					t.Fatalf("%s, %d helpers: row %d changed after it was announced", name, helpers, y)
				}
			}
		}
	}
}

func lumaRow(img image.Image, y int) []byte {
	switch m := img.(type) {
	case *image.YCbCr:
		return m.Y[y*m.YStride : y*m.YStride+m.Rect.Dx()]
	case *image.Gray:
		return m.Pix[y*m.Stride : y*m.Stride+m.Rect.Dx()]
	}
	return nil
}

// A stop function that says true ends the decode with ErrStopped, serial or
// banded, and no helper outlives it (goleak, TestMain).
func TestDecodeBandsStops(t *testing.T) {
	data := testJPEG(t, 640, 480, 2, 90)
	for _, helpers := range []int{0, 1} {
		rows := 0
		calls := 0
		_, err := DecodeBands(data, helpers, func(_ image.Image, y0, y1 int) { rows += y1 - y0 }, func() bool {
			calls++
			return calls > 3
		})
		if err != ErrStopped {
			t.Fatalf("%d helpers: err %v, want ErrStopped", helpers, err)
		}
		if rows > 3*16 {
			t.Fatalf("%d helpers: %d rows decoded after the stop", helpers, rows)
		}
	}
}
