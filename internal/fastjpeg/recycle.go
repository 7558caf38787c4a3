package fastjpeg

import (
	"image"
	"sync"
)

// The decoded image is the largest allocation a photo makes (460 KB at
// 640×480, 3.1 MB at 1080p, zeroed by make each time). A caller that is
// done with an image Decode returned can hand it back with Recycle, and the
// next decode reuses its bytes. They are not cleared: a successful decode
// stores every block of the MCU-aligned planes, so every byte is written
// before the image is returned (TestRecycledDecodeMatches).

// maxRecycled bounds what the pool keeps: a 1080p 4:4:4 image is 6.3 MB;
// a bigger one is left to the GC rather than pinned for the next photo.
const maxRecycled = 8 << 20

var pixPool sync.Pool // *[]uint8, len == cap

// pixBuf returns n bytes of undefined content.
func pixBuf(n int) []uint8 {
	if b, ok := pixPool.Get().(*[]uint8); ok {
		if cap(*b) >= n {
			return (*b)[:n]
		}
		pixPool.Put(b) // too small for this one; may fit the next
	}
	return make([]uint8, n)
}

// Recycle gives back the pixels of img, an image Decode, DecodeWith or
// DecodeBands returned, for a later decode to reuse. The caller must not
// use img, or anything sharing its pixels (sub-images, slices of its
// planes), afterwards. Images this package did not allocate are ignored,
// so giving back image/jpeg's result by mistake is harmless.
func Recycle(img image.Image) {
	var full []uint8
	switch m := img.(type) {
	case *image.Gray:
		if m == nil || len(m.Pix) == 0 {
			return
		}
		full = m.Pix[:cap(m.Pix)]
	case *image.YCbCr:
		// makeYCbCr leaves Y's capacity running over Cb and Cr, one buffer;
		// image.NewYCbCr caps each plane, so its images fail this check.
		if m == nil || len(m.Y) == 0 || len(m.Cb) == 0 || len(m.Cr) == 0 {
			return
		}
		i0, i1 := len(m.Y), len(m.Y)+len(m.Cb)
		full = m.Y[:cap(m.Y)]
		if len(full) < i1+len(m.Cr) || &full[i0] != &m.Cb[0] || &full[i1] != &m.Cr[0] {
			return
		}
	default:
		return
	}
	if cap(full) > maxRecycled {
		return
	}
	pixPool.Put(&full)
}

// makeYCbCr is image.NewYCbCr(r, ratio) for r at the origin, with the
// planes in one recycled buffer: same strides, lengths and pixel layout,
// so the image is the same; only the capacities differ (see Recycle).
func makeYCbCr(r image.Rectangle, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	w, h := r.Dx(), r.Dy()
	cw, ch := w, h
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		cw = (w + 1) / 2
	case image.YCbCrSubsampleRatio420:
		cw, ch = (w+1)/2, (h+1)/2
	case image.YCbCrSubsampleRatio440:
		ch = (h + 1) / 2
	}
	i0 := w * h
	i1 := i0 + cw*ch
	i2 := i1 + cw*ch
	b := pixBuf(i2)
	return &image.YCbCr{
		Y:              b[:i0],
		Cb:             b[i0:i1:i1],
		Cr:             b[i1:i2:i2],
		SubsampleRatio: ratio,
		YStride:        w,
		CStride:        cw,
		Rect:           r,
	}
}

// makeGray is image.NewGray(r) for r at the origin, in a recycled buffer.
func makeGray(r image.Rectangle) *image.Gray {
	w, h := r.Dx(), r.Dy()
	return &image.Gray{Pix: pixBuf(w * h), Stride: w, Rect: r}
}

var stripPool sync.Pool // *[]byte: the encoder's strips

// stripBuf returns an empty buffer with room for n bytes.
func stripBuf(n int) []byte {
	if b, ok := stripPool.Get().(*[]byte); ok {
		if cap(*b) >= n {
			return (*b)[:0]
		}
		stripPool.Put(b)
	}
	return make([]byte, 0, n)
}

func putStripBuf(b []byte) {
	if cap(b) > 0 && cap(b) <= maxRecycled { // a skipped strip is nil
		stripPool.Put(&b)
	}
}
