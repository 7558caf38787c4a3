package pipeline

import (
	"context"
	"image"
	"sync/atomic"

	"github.com/imgq/imgq/internal/fastjpeg"
)

// earlyStart overlaps the fast path's fused start (point ops, then
// grayscale: the course pipeline's brightness:1.8 → grayscale) with the
// JPEG decode: each band of rows is turned into grey as soon as the decoder
// has stored it, on the goroutine that stored it, while its pixels are still
// in the cache. With a helper thread, the decoder's Huffman decoding (serial)
// runs beside the IDCTs and this conversion instead of before them.
type earlyStart struct {
	ctx  context.Context
	n    int // point-op steps folded in, before the grayscale step
	lut  [256]uint8
	tabs *fusedTables
	p    plane
	rows atomic.Int64 // rows written
}

// newEarlyStart returns nil unless steps (planned) begin with point ops and
// grayscale, the start grayWithLUT and lumaPlane make.
func newEarlyStart(ctx context.Context, steps Spec) *earlyStart {
	n, lut := leadingPointOps(steps)
	if n >= len(steps) || steps[n].Name != "grayscale" {
		return nil
	}
	return &earlyStart{ctx: ctx, n: n, lut: lut, tabs: newFusedTables(&lut)}
}

// bandFunc allocates the grey plane once the header says the size.
func (e *earlyStart) bandFunc(info Info) fastjpeg.BandFunc {
	e.p = newPlane(info.Width, info.Height, 1)
	return e.band
}

func (e *earlyStart) band(img image.Image, y0, y1 int) {
	switch m := img.(type) {
	case *image.YCbCr:
		if m.Rect != image.Rect(0, 0, e.p.w, e.p.h) {
			return // not the picture the header described: rows stay unset
		}
		if e.n == 0 {
			// grayscale alone is the luma plane, as lumaPlane copies it.
			for y := y0; y < y1; y++ {
				copy(e.p.row(y), m.Y[y*m.YStride:])
			}
		} else {
			fusedGrayRows(e.ctx, e.p, m, e.tabs, y0, y1)
		}
	case *image.Gray:
		if m.Rect != image.Rect(0, 0, e.p.w, e.p.h) {
			return
		}
		for y := y0; y < y1; y++ {
			dst := e.p.row(y)
			for x, v := range m.Pix[y*m.Stride : y*m.Stride+e.p.w] {
				dst[x] = e.lut[v]
			}
		}
	default:
		return
	}
	e.rows.Add(int64(y1 - y0))
}

// done says whether every row of the plane was made from the decoded image
// (the fast decoder took the file and described the same picture).
func (e *earlyStart) done(fast bool) bool {
	return fast && len(e.p.pix) > 0 && e.rows.Load() == int64(e.p.h)
}
