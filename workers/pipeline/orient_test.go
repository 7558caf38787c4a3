package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withExif inserts an APP1 "Exif" segment holding IFD0 with one Orientation
// tag right after a JPEG's SOI, as a camera writes it, in either byte order.
// A second, unrelated tag comes first, so the parser has to walk the IFD.
func withExif(t *testing.T, data []byte, o int, little bool) []byte {
	t.Helper()
	var bo binary.ByteOrder = binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	if little {
		bo = binary.LittleEndian
		tiff = []byte("II\x2a\x00\x08\x00\x00\x00")
	}
	ifd := make([]byte, 2+2*12+4)
	bo.PutUint16(ifd, 2)
	entry := func(at int, tag, typ uint16, val uint16) {
		bo.PutUint16(ifd[at:], tag)
		bo.PutUint16(ifd[at+2:], typ)
		bo.PutUint32(ifd[at+4:], 1)
		bo.PutUint16(ifd[at+8:], val)
	}
	entry(2, 0x0128, 3, 2) // ResolutionUnit: inches
	entry(14, 0x0112, 3, uint16(o))
	payload := append([]byte("Exif\x00\x00"), append(tiff, ifd...)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(payload)))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, data[:2]...), seg...), data[2:]...)
}

// storedJPEG is what a camera would store for orientation o of a displayed
// picture whose top-left corner is white and top-right corner grey (the rest
// black): the stored corners are where EXIF's row-0/column-0 rules put them.
func storedJPEG(t *testing.T, o int, gray bool) []byte {
	t.Helper()
	const w, h = 48, 32
	// Stored corner holding the displayed top-left and top-right.
	corners := map[int][2]string{
		1: {"TL", "TR"}, 2: {"TR", "TL"}, 3: {"BR", "BL"}, 4: {"BL", "BR"},
		5: {"TL", "BL"}, 6: {"BL", "TL"}, 7: {"BR", "TR"}, 8: {"TR", "BR"},
	}[o]
	at := func(c string) image.Rectangle {
		x, y := 0, 0
		if c[1] == 'R' {
			x = w - 8
		}
		if c[0] == 'B' {
			y = h - 8
		}
		return image.Rect(x, y, x+8, y+8)
	}
	var img interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	if gray {
		img = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := image.Pt(x, y)
			var v uint8
			switch {
			case p.In(at(corners[0])):
				v = 255
			case p.In(at(corners[1])):
				v = 128
			}
			if gray {
				img.Set(x, y, color.Gray{v})
			} else {
				img.Set(x, y, color.RGBA{v, v / 2, 0, 255}) // colour, to go through YCbCr
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return withExif(t, buf.Bytes(), o, o%2 == 0)
}

func TestJPEGOrientationIsApplied(t *testing.T) {
	for o := 1; o <= 8; o++ {
		for _, gray := range []bool{true, false} {
			data := storedJPEG(t, o, gray)
			if got := jpegOrientation(data); got != o {
				t.Fatalf("orientation %d read as %d", o, got)
			}
			wantW, wantH := 48, 32
			if o >= 5 {
				wantW, wantH = 32, 48
			}
			info, err := Inspect(data, Limits{})
			if err != nil || info.Width != wantW || info.Height != wantH || info.Orientation != o {
				t.Fatalf("o=%d gray=%v: Inspect %+v %v, want %dx%d", o, gray, info, err, wantW, wantH)
			}
			img, _, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkUpright(t, img, wantW, wantH, o, gray, "decoded")
			// Through the whole pipeline: the output file is upright too.
			spec, err := Parse("invert,invert")
			if err != nil {
				t.Fatal(err)
			}
			out, res, err := Process(context.Background(), data, spec, Options{Format: FormatPNG})
			if err != nil {
				t.Fatal(err)
			}
			if res.InWidth != wantW || res.InHeight != wantH || res.Width != wantW || res.Height != wantH {
				t.Fatalf("o=%d: result %+v, want %dx%d", o, res, wantW, wantH)
			}
			dec, _, err := image.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			checkUpright(t, dec, wantW, wantH, o, gray, "output")
		}
	}
}

func checkUpright(t *testing.T, img image.Image, w, h, o int, gray bool, what string) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		t.Fatalf("o=%d gray=%v %s: %dx%d, want %dx%d", o, gray, what, b.Dx(), b.Dy(), w, h)
	}
	lum := func(x, y int) int {
		r, _, _, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return int(r >> 8)
	}
	near := func(got, want int) bool { return got > want-24 && got < want+24 }
	if tl, tr, bl, br := lum(3, 3), lum(w-4, 3), lum(3, h-4), lum(w-4, h-4); !near(tl, 255) || !near(tr, 128) || !near(bl, 0) || !near(br, 0) {
		t.Fatalf("o=%d gray=%v %s: corners TL %d TR %d BL %d BR %d, want 255 128 0 0", o, gray, what, tl, tr, bl, br)
	}
}

// A JPEG without EXIF, or with a broken one, is left as it is; the parser
// never reads past a segment.
func TestJPEGOrientationIgnoresGarbage(t *testing.T) {
	plain := sampleJPEGMust(t)
	if o := jpegOrientation(plain); o != 1 {
		t.Fatalf("no EXIF: %d", o)
	}
	bad := withExif(t, plain, 9, false)
	if o := jpegOrientation(bad); o != 1 {
		t.Fatalf("orientation 9: %d", o)
	}
	for cut := 0; cut < 60; cut++ {
		_ = jpegOrientation(withExif(t, plain, 6, true)[:cut]) // must not panic
	}
}

func sampleJPEGMust(t *testing.T) []byte {
	t.Helper()
	b, err := SampleJPEG(40, 30, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
