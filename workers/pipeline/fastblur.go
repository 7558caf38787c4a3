package pipeline

import "math"

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
func fixedWeights(ws []float64) []int32 {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	out := make([]int32, len(ws))
	var isum int32
	big := 0
	for i, w := range ws {
		out[i] = int32(math.Round(w / sum * blurOne))
		isum += out[i]
		if ws[i] > ws[big] {
			big = i
		}
	}
	out[big] += blurOne - isum
	return out
}

func (p plane) blur(sigma float64) plane {
	if sigma <= 0 || p.w == 0 || p.h == 0 {
		return p
	}
	k := gaussKernel(sigma)
	// Symmetric full-window weights: sym[0] centre, sym[i] for ±i.
	full := make([]float64, 2*len(k)-1)
	r := len(k) - 1
	for i := -r; i <= r; i++ {
		full[i+r] = k[abs(i)]
	}
	fw := fixedWeights(full)
	sym := fw[r:]

	tmp := newPlane(p.w, p.h, p.c)
	parallelRows(p.h, func(y0, y1 int) {
		acc := make([]int32, p.w*p.c)
		for y := y0; y < y1; y++ {
			hblurRow(tmp.row(y), p.row(y), p.w, p.c, k, sym, acc)
		}
	})
	out := newPlane(p.w, p.h, p.c)
	parallelRows(p.h, func(y0, y1 int) {
		acc := make([]int32, p.w*p.c)
		for y := y0; y < y1; y++ {
			vblurRow(out.row(y), tmp, y, k, sym, acc)
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

// hblurRow blurs one row of w pixels of c bytes horizontally.
func hblurRow(dst, src []uint8, w, c int, k []float64, sym []int32, acc []int32) {
	r := len(k) - 1
	lo, hi := r, w-r // pixels whose whole window is inside the row
	if lo < hi {
		n := (hi - lo) * c
		a := acc[:n]
		centre := src[lo*c : lo*c+n]
		w0 := sym[0]
		for i, v := range centre {
			a[i] = w0 * int32(v)
		}
		for t := 1; t <= r; t++ {
			wt := sym[t]
			left := src[(lo-t)*c : (lo-t)*c+n]
			right := src[(lo+t)*c : (lo+t)*c+n]
			left = left[:len(a)]
			right = right[:len(a)]
			for i := range a {
				a[i] += wt * (int32(left[i]) + int32(right[i]))
			}
		}
		d := dst[lo*c : lo*c+n]
		for i, v := range a {
			d[i] = uint8((v + blurOne/2) >> blurShift)
		}
	} else {
		lo, hi = w, w
	}
	// Border pixels: renormalise over the part of the window inside.
	for x := 0; x < w; x++ {
		if x == lo {
			x = hi
			if x >= w {
				break
			}
		}
		x0, x1 := max(x-r, 0), min(x+r, w-1)
		var wsum float64
		for ix := x0; ix <= x1; ix++ {
			wsum += k[abs(x-ix)]
		}
		for ch := 0; ch < c; ch++ {
			var s float64
			for ix := x0; ix <= x1; ix++ {
				s += k[abs(x-ix)] * float64(src[ix*c+ch])
			}
			dst[x*c+ch] = clamp8(s / wsum)
		}
	}
}

// vblurRow computes output row y from the rows of src around it.
func vblurRow(dst []uint8, src plane, y int, k []float64, sym []int32, acc []int32) {
	r := len(k) - 1
	a := acc[:len(dst)]
	if y-r >= 0 && y+r < src.h {
		w0 := sym[0]
		for i, v := range src.row(y) {
			a[i] = w0 * int32(v)
		}
		for t := 1; t <= r; t++ {
			wt := sym[t]
			up, dn := src.row(y-t), src.row(y+t)
			up, dn = up[:len(a)], dn[:len(a)]
			for i := range a {
				a[i] += wt * (int32(up[i]) + int32(dn[i]))
			}
		}
	} else {
		// Near the top or bottom: renormalised weights for the rows inside.
		y0, y1 := max(y-r, 0), min(y+r, src.h-1)
		ws := make([]float64, 0, y1-y0+1)
		for iy := y0; iy <= y1; iy++ {
			ws = append(ws, k[abs(y-iy)])
		}
		fw := fixedWeights(ws)
		clear(a)
		for j, iy := 0, y0; iy <= y1; j, iy = j+1, iy+1 {
			wt := fw[j]
			row := src.row(iy)[:len(a)]
			for i := range a {
				a[i] += wt * int32(row[i])
			}
		}
	}
	for i, v := range a {
		dst[i] = uint8((v + blurOne/2) >> blurShift)
	}
}
