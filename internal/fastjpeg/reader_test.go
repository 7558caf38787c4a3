package fastjpeg

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sameDecode checks that the fast decoder, where it accepts data, gives
// exactly image/jpeg's image. It reports whether the fast decoder took it.
func sameDecode(t testing.TB, data []byte) bool {
	t.Helper()
	fast, err := decode(data)
	// The banded decoder (IDCTs on helper goroutines) must give the serial
	// decoder's answer exactly: the same image, or the same refusal.
	for _, helpers := range []int{1, 3} {
		banded, berr := decodeWith(data, helpers)
		if berr != err {
			t.Fatalf("%d helpers: error %v, serial decoder %v", helpers, berr, err)
		}
		if err == nil && !sameImage(banded, fast) {
			t.Fatalf("%d helpers: image differs from the serial decoder's", helpers)
		}
	}
	if err != nil {
		if err != ErrUnsupported {
			t.Fatalf("fast decoder error %v", err)
		}
		return false
	}
	std, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("fast decoder accepted what image/jpeg refuses (%v)", err)
	}
	switch s := std.(type) {
	case *image.YCbCr:
		f, ok := fast.(*image.YCbCr)
		if !ok || f.Rect != s.Rect || f.SubsampleRatio != s.SubsampleRatio || f.YStride != s.YStride || f.CStride != s.CStride ||
			!bytes.Equal(f.Y, s.Y) || !bytes.Equal(f.Cb, s.Cb) || !bytes.Equal(f.Cr, s.Cr) {
			t.Fatalf("fast decode differs from image/jpeg (%T %v vs %v)", fast, fast.Bounds(), s.Rect)
		}
	case *image.Gray:
		f, ok := fast.(*image.Gray)
		if !ok || f.Rect != s.Rect || f.Stride != s.Stride || !bytes.Equal(f.Pix, s.Pix) {
			t.Fatalf("fast decode differs from image/jpeg (%T)", fast)
		}
	default:
		t.Fatalf("fast decoder accepted a file image/jpeg decodes to %T", std)
	}
	return true
}

func jpegCorpus(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {17, 16}, {33, 31}, {640, 480}} {
		for _, q := range []int{10, 90, 100} {
			data := testJPEG(t, sz[0], sz[1], 3, q)
			files[fmt.Sprintf("sample_%dx%d_q%d", sz[0], sz[1], q)] = data
		}
		g := testGray(sz[0], sz[1])
		for _, strips := range []int{1, 3} {
			data, _ := EncodeGray(g, 90, strips) // 3 strips: restart markers
			files[fmt.Sprintf("gray_%dx%d_strips%d", sz[0], sz[1], strips)] = data
		}
	}
	// Pillow-made files (4:4:4, 4:2:2, progressive, CMYK...) from the fuzz seeds.
	for _, dir := range []string{"testdata/fuzz/FuzzDecode"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := parseCorpusBytes(string(raw)); ok {
				files[dir+"/"+e.Name()] = data
			}
		}
	}
	return files
}

// parseCorpusBytes reads a "go test fuzz v1" file holding one []byte.
func parseCorpusBytes(s string) ([]byte, bool) {
	_, rest, ok := strings.Cut(s, "[]byte(")
	if !ok {
		return nil, false
	}
	rest = strings.TrimSpace(rest)
	rest = strings.TrimSuffix(rest, ")")
	var out []byte
	_, err := fmt.Sscanf(rest, "%q", &out)
	return out, err == nil
}

func TestFastJPEGDecoderMatchesStdlib(t *testing.T) {
	taken := 0
	for name, data := range jpegCorpus(t) {
		t.Run(name, func(t *testing.T) {
			if sameDecode(t, data) {
				taken++
			}
			// Every prefix and a few corruptions must be safe too.
			for _, cut := range []int{len(data) / 3, len(data) / 2, len(data) - 3} {
				if cut > 0 {
					sameDecode(t, data[:cut])
				}
			}
			// Random damage anywhere: headers, tables, entropy data.
			rng := rand.New(rand.NewPCG(uint64(len(data)), 7))
			for range 60 * min(1, len(data)/16) {
				bad := bytes.Clone(data)
				for range 1 + rng.IntN(3) {
					bad[2+rng.IntN(len(bad)-2)] ^= byte(1 + rng.IntN(255))
				}
				sameDecode(t, bad)
			}
		})
	}
	if taken < 20 {
		t.Errorf("fast decoder took only %d files", taken)
	}
}

func FuzzDecode(f *testing.F) {
	for _, data := range jpegCorpus(f) {
		if len(data) < 20000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<16 {
			return // pipeline.Inspect refuses these before any decoding
		}
		sameDecode(t, data)
	})
}

func BenchmarkDecodeJPEG(b *testing.B) {
	data := testJPEG(b, 1920, 1080, 1, 90)
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			_, _ = jpeg.Decode(bytes.NewReader(data))
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast-1-helper", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeWith(data, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The fast decoder must actually take the common kinds of file, not just
// hand everything to image/jpeg.
func TestFastJPEGDecoderTakesCommonFiles(t *testing.T) {
	corpus := jpegCorpus(t)
	for name, want := range map[string]bool{
		"testdata/fuzz/FuzzDecode/ycc444":                 true,
		"testdata/fuzz/FuzzDecode/ycc422":                 true,
		"testdata/fuzz/FuzzDecode/ycc420_optimized":       true,
		"testdata/fuzz/FuzzDecode/ycc444_q100_optimized":  true,
		"testdata/fuzz/FuzzDecode/gray_optimized":         true,
		"testdata/fuzz/FuzzDecode/with_exif_comment":      true,
		"testdata/fuzz/FuzzDecode/progressive":            false,
		"testdata/fuzz/FuzzDecode/inspect_jpeg_cmyk":      false,
		"testdata/fuzz/FuzzDecode/inspect_jpeg_truncated": false,
		"sample_640x480_q90":                              true,
		"gray_33x31_strips3":                              true,
	} {
		data, ok := corpus[name]
		if !ok {
			t.Errorf("%s missing from the corpus", name)
			continue
		}
		if got := sameDecode(t, data); got != want {
			t.Errorf("%s: fast decoder took it = %v, want %v", name, got, want)
		}
	}
}

// The DC-only shortcut must give exactly what the IDCT and storeBlock give.
func TestDCOnlyBlocks(t *testing.T) {
	for v := int32(-dcOnlyMax); v <= dcOnlyMax; v++ {
		var b block
		b[0] = v
		idct(&b)
		var want [64]uint8
		storeBlock(want[:], 8, &b)
		got := clampShift(v)
		for i, w := range want {
			if w != got {
				t.Fatalf("dc %d: pixel %d is %d, shortcut gives %d", v, i, w, got)
			}
		}
	}
}

func sameImage(a, b image.Image) bool {
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		return ok && a.Rect == b.Rect && a.SubsampleRatio == b.SubsampleRatio && a.YStride == b.YStride &&
			a.CStride == b.CStride && bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
	case *image.Gray:
		b, ok := b.(*image.Gray)
		return ok && a.Rect == b.Rect && a.Stride == b.Stride && bytes.Equal(a.Pix, b.Pix)
	}
	return false
}
