package pipeline

import (
	"context"
	"math"
)

// Gaussian blur on a plane, computing the same thing as imaging.Blur (kernel
// exp(-x²/2σ²) over radius ceil(3σ), weights renormalised where the window
// is cut by the border, horizontal pass rounded to 8 bits, then vertical)
// but on 1 channel when the spec allows, with 14-bit fixed-point weights,
// symmetric taps added before multiplying, and straight-line inner loops over
// whole rows that the compiler keeps free of bounds checks.

const blurShift = 14
const blurOne = 1 << blurShift

func gaussKernel(sigma float64) []float64 {
	r := int(math.Ceil(sigma * 3))
	k := make([]float64, r+1)
	for i := range k {
		k[i] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
	}
	return k
}

// fixedWeights scales ws to integers summing exactly to blurOne, so a flat
// area (and an alpha of 255) stays exactly flat.
func fixedWeights(ws []float64) []int32 { return fixedWeightsTo(ws, blurOne) }

// fixedWeightsTo scales ws to integers summing exactly to one.
func fixedWeightsTo(ws []float64, one int32) []int32 {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	out := make([]int32, len(ws))
	var isum int32
	big := 0
	for i, w := range ws {
		out[i] = int32(math.Round(w / sum * float64(one)))
		isum += out[i]
		if ws[i] > ws[big] {
			big = i
		}
	}
	out[big] += one - isum
	return out
}

func (p plane) blur(ctx context.Context, sigma float64) plane {
	if sigma <= 0 || p.w == 0 || p.h == 0 {
		return p
	}
	if ctx.Err() != nil {
		return p // apply drops the result of a cancelled step
	}
	k := gaussKernel(sigma)
	r := len(k) - 1
	if r <= blur4MaxRadius {
		return p.blur4(ctx, k)
	}
	return p.blur14(ctx, k)
}

// blur14 is blur with 14-bit weights, two bytes per word.
func (p plane) blur14(ctx context.Context, k []float64) plane {
	r := len(k) - 1
	full := make([]float64, 2*r+1)
	for i := -r; i <= r; i++ {
		full[i+r] = k[abs(i)]
	}
	sym := fixedWeights(full)[r:] // sym[0] centre, sym[t] for ±t

	// The horizontal pass leaves each row as pairs of bytes in the two
	// 32-bit lanes of a uint64 ("SWAR"): the vertical pass then does one
	// multiply-add per two bytes. Lanes never carry into each other since a
	// lane's sum is at most 255 * 2^14 < 2^32.
	W := p.w * p.c
	np := (W + 1) / 2
	tmp := getWords(np * p.h)
	defer putWords(tmp)
	parallelRows(ctx, p.h, func(y0, y1 int) {
		sc := newHScratch(W)
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			hblurRow(tmp[y*np:y*np+np], p.row(y), p.w, p.c, k, sym, sc)
		}
	})
	out := newPlane(p.w, p.h, p.c)
	if ctx.Err() != nil {
		return out // unfinished, and apply drops it
	}
	parallelRows(ctx, p.h, func(y0, y1 int) {
		acc := make([]uint64, np)
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			vblurRow(out.row(y), tmp, np, p.h, y, k, sym, acc)
		}
	})
	return out
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

const laneRound = blurOne/2 | blurOne/2<<32
const laneMask = 0xFF | 0xFF<<32

type hScratch struct {
	pad       []uint8
	even, odd []uint64
	acc       []uint64
}

func newHScratch(n int) *hScratch {
	np := (n + 1) / 2
	return &hScratch{pad: make([]uint8, 2*np+2), even: make([]uint64, np), odd: make([]uint64, np), acc: make([]uint64, np)}
}

// hblurRow blurs one row (w pixels of c bytes) horizontally into dst, as
// byte pairs: dst[m] holds output bytes 2m and 2m+1 in its two lanes.
func hblurRow(dst []uint64, src []uint8, w, c int, k []float64, sym []int32, sc *hScratch) {
	r := len(k) - 1
	n := len(src)
	np := len(dst)
	// even[m] holds source bytes 2m, 2m+1; odd[m] holds 2m+1, 2m+2. Every
	// tap of every interior pair is then a contiguous run of one of them.
	copy(sc.pad, src)
	clear(sc.pad[n:])
	even, odd, pad := sc.even[:np], sc.odd[:np], sc.pad[:2*np+2]
	for m := range even {
		even[m] = uint64(pad[2*m]) | uint64(pad[2*m+1])<<32
		odd[m] = uint64(pad[2*m+1]) | uint64(pad[2*m+2])<<32
	}
	run := func(b, cnt int) []uint64 {
		if b%2 == 0 {
			return even[b/2 : b/2+cnt]
		}
		return odd[(b-1)/2 : (b-1)/2+cnt]
	}
	// Pairs mlo..mhi-1 have both bytes' whole windows inside the row.
	mlo, mhi := (r*c+1)/2, (w-r)*c/2
	if mlo >= mhi {
		mlo, mhi = np, np
	} else {
		cnt := mhi - mlo
		a := sc.acc[:cnt]
		symTaps(a, even[mlo:mhi], sym, r, func(t int) ([]uint64, []uint64) {
			return run(2*mlo-t*c, cnt), run(2*mlo+t*c, cnt)
		})
		out := dst[mlo:mhi]
		for j, v := range a {
			out[j] = ((v + laneRound) >> blurShift) & laneMask
		}
	}
	for m := 0; m < np; m++ {
		if m == mlo {
			m = mhi
			if m >= np {
				break
			}
		}
		v := uint64(hblurByte(src, 2*m, c, w, k, sym))
		if 2*m+1 < n {
			v |= uint64(hblurByte(src, 2*m+1, c, w, k, sym)) << 32
		}
		dst[m] = v
	}
}

// hblurByte is one output byte: the fixed-point kernel if the window fits,
// else weights renormalised over the part inside (like imaging).
func hblurByte(src []uint8, i, c, w int, k []float64, sym []int32) uint8 {
	r := len(k) - 1
	x := i / c
	if x-r >= 0 && x+r < w {
		a := sym[0] * int32(src[i])
		for t := 1; t <= r; t++ {
			a += sym[t] * (int32(src[i-t*c]) + int32(src[i+t*c]))
		}
		return uint8((a + blurOne/2) >> blurShift)
	}
	return hblurEdgeByte(src, i, c, w, k)
}

// hblurEdgeByte is one output byte whose window the row's ends cut: the
// weights inside, renormalised, as imaging does.
func hblurEdgeByte(src []uint8, i, c, w int, k []float64) uint8 {
	r := len(k) - 1
	x, ch := i/c, i%c
	x0, x1 := max(x-r, 0), min(x+r, w-1)
	var s, wsum float64
	for ix := x0; ix <= x1; ix++ {
		wt := k[abs(x-ix)]
		wsum += wt
		s += wt * float64(src[ix*c+ch])
	}
	return clamp8(s / wsum)
}

// vblurRow computes output row y from the byte-pair rows of tmp (np pairs
// per row, h rows) around it.
func vblurRow(dst []uint8, tmp []uint64, np, h, y int, k []float64, sym []int32, acc []uint64) {
	a := acc[:np]
	vsum(a, tmp, np, h, y, k, sym, blurOne)
	n := len(dst)
	for i, v := range a {
		v = ((v + laneRound) >> blurShift) & laneMask
		dst[2*i] = uint8(v)
		if 2*i+1 < n {
			dst[2*i+1] = uint8(v >> 32)
		}
	}
}

// symTaps sets a, lane by lane, to a symmetric blur's sum: sym[0] times
// centre, plus for t = 1..r sym[t] times the words t taps before and after
// (at(t)), two taps a pass to halve the loads and stores of a. Both
// horizontal passes and the vertical one use it.
func symTaps(a, centre []uint64, sym []int32, r int, at func(t int) (before, after []uint64)) {
	w0 := uint64(sym[0])
	for j, v := range centre[:len(a)] {
		a[j] = w0 * v
	}
	for t := 1; t <= r; t += 2 {
		wt := uint64(sym[t])
		b1, f1 := at(t)
		b1, f1 = b1[:len(a)], f1[:len(a)]
		if t == r {
			for j := range a {
				a[j] += wt * (b1[j] + f1[j])
			}
			return
		}
		wt2 := uint64(sym[t+1])
		b2, f2 := at(t + 1)
		b2, f2 = b2[:len(a)], f2[:len(a)]
		for j := range a {
			a[j] += wt*(b1[j]+f1[j]) + wt2*(b2[j]+f2[j])
		}
	}
}

// vsum fills a with the weighted sum of the rows of tmp (stride words a row,
// h rows) around row y, lane by lane: the fixed-point weights sym inside the
// image, near its top or bottom the weights k of the rows inside,
// renormalised to one. Both vertical passes (two and four lanes a word) use it.
func vsum(a, tmp []uint64, stride, h, y int, k []float64, sym []int32, one int32) {
	r := len(k) - 1
	row := func(y int) []uint64 { return tmp[y*stride : y*stride+stride : y*stride+stride] }
	if y-r >= 0 && y+r < h {
		symTaps(a, row(y), sym, r, func(t int) ([]uint64, []uint64) { return row(y - t), row(y + t) })
		return
	}
	y0, y1 := max(y-r, 0), min(y+r, h-1)
	ws := make([]float64, 0, y1-y0+1)
	for iy := y0; iy <= y1; iy++ {
		ws = append(ws, k[abs(y-iy)])
	}
	fw := fixedWeightsTo(ws, one)
	clear(a)
	for j, iy := 0, y0; iy <= y1; j, iy = j+1, iy+1 {
		wt := uint64(fw[j])
		src := row(iy)[:len(a)]
		for i := range a {
			a[i] += wt * src[i]
		}
	}
}
