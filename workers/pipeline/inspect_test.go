package pipeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"strings"
	"testing"
)

// pngHeader is a PNG signature and an IHDR chunk (valid CRC) claiming w×h.
func pngHeader(w, h uint32) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	var b bytes.Buffer
	b.Write(magicPNG)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr[:]...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func samplePNG(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, mustSample(t, w, h, 5)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInspectAccepts(t *testing.T) {
	jpg, err := SampleJPEG(64, 48, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		data []byte
		f    Format
	}{{jpg, FormatJPEG}, {samplePNG(t, 64, 48), FormatPNG}} {
		info, err := Inspect(tt.data, Limits{})
		if err != nil || info.Format != tt.f || info.Width != 64 || info.Height != 48 || info.Bytes != len(tt.data) {
			t.Errorf("Inspect %s = %+v, %v", tt.f, info, err)
		}
		img, _, err := Decode(tt.data, Limits{})
		if err != nil || img.Bounds().Dx() != 64 {
			t.Errorf("Decode %s: %v", tt.f, err)
		}
	}
}

func TestInspectRefuses(t *testing.T) {
	jpg, _ := SampleJPEG(64, 48, 1, 90)
	corruptHeader := append([]byte{}, jpg[:20]...)
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"empty", nil, Limits{}, "empty file"},
		{"text", []byte("hello, this is not an image\n"), Limits{}, "unrecognised file type (starts with 68 65 6c"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Limits{}, "GIF image: only JPEG and PNG are accepted"},
		{"bmp", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00"), Limits{}, "BMP image"},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), Limits{}, "TIFF image"},
		{"webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8 "), Limits{}, "WebP image"},
		{"too many bytes", jpg, Limits{MaxBytes: 1000}, "over the limit of 1000 bytes"},
		{"corrupt jpeg header", corruptHeader, Limits{}, "corrupt jpeg header"},
		{"huge png header", pngHeader(100000, 100000), Limits{}, "100000x100000 (10000000000.0 megapixels)"[:14]},
		{"over pixel limit", samplePNG(t, 64, 48), Limits{MaxPixels: 1000}, "over the limit of 0.0 megapixels"},
		{"zero size png", pngHeader(0, 10), Limits{}, "corrupt png header"},
	}
	for _, tt := range tests {
		_, err := Inspect(tt.data, tt.lim)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want ErrBadInput with %q", tt.name, err, tt.want)
		}
	}
}

func TestDecodeRefusesTruncatedJPEG(t *testing.T) {
	jpg, _ := SampleJPEG(64, 48, 1, 90)
	_, _, err := Decode(jpg[:len(jpg)/2], Limits{})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "decode jpeg 64x48") {
		t.Fatalf("got %v", err)
	}
}

// A header claiming 10 gigapixels is refused without allocating for them.
func TestInspectHugeHeaderDoesNotAllocate(t *testing.T) {
	data := pngHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, _, err := Decode(data, Limits{}); !errors.Is(err, ErrBadInput) {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes refusing a huge header", n)
	}
}

func TestDecodeGivesYCbCr(t *testing.T) {
	jpg, _ := SampleJPEG(32, 32, 1, 90)
	img, _, err := Decode(jpg, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Errorf("got %T", img)
	}
}
