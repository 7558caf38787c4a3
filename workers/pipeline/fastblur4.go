package pipeline

import (
	"context"
	"encoding/binary"
	"sync"
)

// The blur of small kernels (the course's blur:2 and below) with four
// 16-bit lanes per uint64 instead of fastblur.go's two 32-bit ones: each
// multiply-add serves four bytes, so both passes do half the arithmetic.
// The price is 8-bit weights (summing to 256, so a lane's sum is at most
// 255·256 + 128 < 2^16 and lanes never carry into each other). For a
// radius up to blur4MaxRadius the weights' rounding moves an output byte
// by at most 2 levels on photos, a fraction of one on average (55–97 dB
// from the 14-bit path, TestBlur4Precision); wider kernels, whose tail
// taps 8 bits cannot weigh, keep the 14-bit path.
//
// The horizontal pass works on four rows at once: lane j holds row y+j, so
// every tap of a byte column is the same lane of a neighbouring column and
// the taps are contiguous runs, as in the vertical pass. A 4×4 transpose
// then stores the result as four bytes of one row per word, the layout the
// vertical pass reads. Both passes round to 8 bits as imaging does.

const (
	blur4MaxRadius = 6 // sigma ≤ 2
	blur4Shift     = 8
	blur4One       = 1 << blur4Shift
	lane4Round     = 0x0080_0080_0080_0080
	lane4Mask      = 0x00FF_00FF_00FF_00FF
	lanes02        = 0x0000_FFFF_0000_FFFF
	lanesLow       = 0x0000_0000_FFFF_FFFF
)

// blur4 is blur for kernels k of radius ≤ blur4MaxRadius.
func (p plane) blur4(ctx context.Context, k []float64) plane {
	hb := newHBlur4(p.w, p.h, p.c, k)
	defer hb.release()
	parallelRows(ctx, p.h, func(y0, y1 int) {
		sc := hb.scratch()
		defer hb.scratches.Put(sc)
		for y := y0; y < y1; y += 4 {
			if stopRow(ctx, y-y0) {
				return
			}
			hblur4Rows(hb.tmp, hb.nq, p, y, min(y+4, y1), hb.k, hb.sym, sc)
		}
	})
	return hb.vertical(ctx, p.w, p.h, p.c)
}

// hblur4 holds a four-lane blur between its passes: the kernel, and the
// horizontal pass's result, which the early start (early.go) can also fill
// band by band during the decode.
type hblur4 struct {
	k         []float64
	sym       []int32 // sym[0] centre, sym[t] for ±t
	nq        int     // words per row of tmp
	tmp       []uint64
	w         int // bytes per row
	scratches sync.Pool
}

func newHBlur4(w, h, c int, k []float64) *hblur4 {
	r := len(k) - 1
	full := make([]float64, 2*r+1)
	for i := -r; i <= r; i++ {
		full[i+r] = k[abs(i)]
	}
	W := w * c
	nq := (W + 3) / 4
	return &hblur4{k: k, sym: fixedWeightsTo(full, blur4One)[r:], nq: nq, tmp: getWords(nq * h), w: W}
}

// scratch returns a horizontal pass's buffers (give them back to
// hb.scratches).
func (hb *hblur4) scratch() *h4Scratch {
	if sc, ok := hb.scratches.Get().(*h4Scratch); ok {
		return sc
	}
	return newH4Scratch(hb.w, hb.nq)
}

func (hb *hblur4) release() {
	putWords(hb.tmp)
	hb.tmp = nil
}

// vertical is the second pass, from the horizontal pass's rows to a new
// plane of w×h pixels of c bytes.
func (hb *hblur4) vertical(ctx context.Context, w, h, c int) plane {
	out := newPlane(w, h, c)
	if ctx.Err() != nil {
		return out // unfinished, and apply drops it
	}
	parallelRows(ctx, h, func(y0, y1 int) {
		acc := make([]uint64, hb.nq)
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			vblur4Row(out.row(y), hb.tmp, hb.nq, h, y, hb.k, hb.sym, acc)
		}
	})
	return out
}

type h4Scratch struct {
	in   []uint64 // the rows interleaved: in[i] lane j = byte i of row y+j
	out  []uint64 // their horizontal blur, same layout, padded to 4·nq
	zero []uint8  // stands for the rows past the band's end
}

func newH4Scratch(W, nq int) *h4Scratch {
	return &h4Scratch{in: make([]uint64, W), out: make([]uint64, 4*nq), zero: make([]uint8, W)}
}

// hblur4Rows blurs rows y..yEnd-1 (at most 4) of p horizontally into tmp.
func hblur4Rows(tmp []uint64, nq int, p plane, y, yEnd int, k []float64, sym []int32, sc *h4Scratch) {
	W, c, r := p.w*p.c, p.c, len(k)-1
	var rows [4][]uint8
	for j := range rows {
		rows[j] = sc.zero
		if y+j < yEnd {
			rows[j] = p.row(y + j)
		}
	}
	in := sc.in[:W]
	r0, r1, r2, r3 := rows[0][:len(in)], rows[1][:len(in)], rows[2][:len(in)], rows[3][:len(in)]
	for i := range in {
		in[i] = uint64(r0[i]) | uint64(r1[i])<<16 | uint64(r2[i])<<32 | uint64(r3[i])<<48
	}
	out := sc.out[:4*nq]
	clear(out[W:])
	// Bytes lo..hi-1 have their whole window inside the row.
	lo, hi := r*c, (p.w-r)*c
	if lo >= hi {
		lo, hi = W, W
	} else {
		a := out[lo:hi]
		symTaps(a, in[lo:hi], sym, r, func(t int) ([]uint64, []uint64) {
			return in[lo-t*c : hi-t*c], in[lo+t*c : hi+t*c]
		})
		for j, v := range a {
			a[j] = ((v + lane4Round) >> blur4Shift) & lane4Mask
		}
	}
	for i := 0; i < W; i++ {
		if i == lo {
			if i = hi; i >= W {
				break
			}
		}
		var v uint64
		for j := range yEnd - y {
			v |= uint64(hblurEdgeByte(rows[j], i, c, p.w, k)) << (16 * j)
		}
		out[i] = v
	}
	// Transpose each 4×4 block of 16-bit lanes: four columns of four rows
	// become four rows of four columns.
	n := yEnd - y
	for m := range nq {
		q := out[4*m : 4*m+4 : 4*m+4]
		t0 := q[0]&lanes02 | (q[1]&lanes02)<<16  // a0 b0 a2 b2
		t1 := (q[0]>>16)&lanes02 | q[1]&^lanes02 // a1 b1 a3 b3
		t2 := q[2]&lanes02 | (q[3]&lanes02)<<16  // c0 d0 c2 d2
		t3 := (q[2]>>16)&lanes02 | q[3]&^lanes02 // c1 d1 c3 d3
		rowsOut := [4]uint64{t0&lanesLow | t2<<32, t1&lanesLow | t3<<32, t0>>32 | t2&^lanesLow, t1>>32 | t3&^lanesLow}
		for j := range n {
			tmp[(y+j)*nq+m] = rowsOut[j]
		}
	}
}

// vblur4Row computes output row y from the rows of tmp around it (nq words
// of four bytes per row, h rows).
func vblur4Row(dst []uint8, tmp []uint64, nq, h, y int, k []float64, sym []int32, acc []uint64) {
	a := acc[:nq]
	vsum(a, tmp, nq, h, y, k, sym, blur4One)
	n := len(dst)
	whole := n / 4
	for i, v := range a[:whole] {
		v = ((v + lane4Round) >> blur4Shift) & lane4Mask
		v |= v >> 8 // bytes 0,1 and 4,5 now hold the four outputs
		binary.LittleEndian.PutUint32(dst[4*i:], uint32(v&0xFFFF)|uint32(v>>16)&0xFFFF0000)
	}
	if whole < len(a) {
		v := ((a[whole] + lane4Round) >> blur4Shift) & lane4Mask
		for i := 4 * whole; i < n; i++ {
			dst[i] = uint8(v)
			v >>= 16
		}
	}
}
