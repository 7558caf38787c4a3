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
//
// When a small blur follows (the course's blur:2), its horizontal pass runs
// on each band too, right after the grey rows are made: with a helper
// thread that moves it beside the Huffman decoding as well, and on one
// thread it reads rows still in the cache. Process then runs the blur's
// vertical pass alone.
type earlyStart struct {
	ctx   context.Context
	n     int // point-op steps folded in, before the grayscale step
	lut   [256]uint8
	tabs  *fusedTables
	p     plane
	rows  atomic.Int64 // rows written
	blurK []float64    // the kernel of a blur step right after grayscale, if four-lane
	hb    *hblur4      // its horizontal pass, made band by band (nil: none)
}

// newEarlyStart returns nil unless steps (planned) begin with point ops and
// grayscale, the start grayWithLUT and lumaPlane make.
func newEarlyStart(ctx context.Context, steps Spec) *earlyStart {
	n, lut := leadingPointOps(steps)
	if n >= len(steps) || steps[n].Name != "grayscale" {
		return nil
	}
	e := &earlyStart{ctx: ctx, n: n, lut: lut, tabs: newFusedTables(&lut)}
	if n+1 < len(steps) && steps[n+1].Name == "blur" && steps[n+1].Value > 0 {
		if k := gaussKernel(steps[n+1].Value); len(k)-1 <= blur4MaxRadius {
			e.blurK = k
		}
	}
	return e
}

// steps says how many planned steps the start made: the point ops and
// grayscale, and the blur when its horizontal pass was made too.
func (e *earlyStart) steps() int {
	if e.hb != nil {
		return e.n + 2
	}
	return e.n + 1
}

// plane is the start's result: the grey plane, or the blurred one when the
// blur's horizontal pass was made during the decode (its vertical pass
// runs now). It gives back what it no longer needs.
func (e *earlyStart) plane(ctx context.Context) plane {
	if e.hb == nil {
		return e.p
	}
	out := e.hb.vertical(ctx, e.p.w, e.p.h, 1)
	e.release()
	return out
}

// release gives back the start's buffers when its result is not used.
func (e *earlyStart) release() {
	if len(e.p.pix) > 0 {
		putBytes(e.p.pix)
		e.p.pix = nil
	}
	if e.hb != nil {
		e.hb.release()
	}
}

// bandFunc allocates the grey plane once the header says the size.
func (e *earlyStart) bandFunc(info Info) fastjpeg.BandFunc {
	e.p = newPlane(info.Width, info.Height, 1)
	if e.blurK != nil {
		e.hb = newHBlur4(info.Width, info.Height, 1, e.blurK)
	}
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
	if e.hb != nil {
		sc := e.hb.scratch()
		for y := y0; y < y1; y += 4 {
			hblur4Rows(e.hb.tmp, e.hb.nq, e.p, y, min(y+4, y1), e.hb.k, e.hb.sym, sc)
		}
		e.hb.scratches.Put(sc)
	}
	e.rows.Add(int64(y1 - y0))
}

// done says whether every row of the plane was made from the decoded image
// (the fast decoder took the file and described the same picture).
func (e *earlyStart) done(fast bool) bool {
	return fast && len(e.p.pix) > 0 && e.rows.Load() == int64(e.p.h)
}
