package pipeline

import (
	"context"
	"image"
	"sync"
)

// plane is the fast path's working image: w*h pixels of c interleaved bytes,
// no padding. c is 1 (grey, what a grayscale spec works on: 4x less data
// than NRGBA) or 4 (NRGBA bytes of an opaque image, alpha always 255, so
// filters never have to weight by alpha).
type plane struct {
	pix     []uint8
	w, h, c int
}

// newPlane's bytes are not cleared (see pool.go): the caller writes them all.
func newPlane(w, h, c int) plane {
	return plane{pix: getBytes(w * h * c), w: w, h: h, c: c}
}

func (p plane) row(y int) []uint8 {
	n := p.w * p.c
	return p.pix[y*n : y*n+n : y*n+n]
}

// image returns the plane as an image sharing its bytes.
func (p plane) image() image.Image {
	r := image.Rect(0, 0, p.w, p.h)
	if p.c == 1 {
		return &image.Gray{Pix: p.pix, Stride: p.w, Rect: r}
	}
	return &image.NRGBA{Pix: p.pix, Stride: p.w * 4, Rect: r}
}

// parallelRows splits rows 0..h into one band per thread the image's budget
// lends it (see Cores): the calling goroutine runs the last band. Bands are
// contiguous so each goroutine streams through its own memory.
func parallelRows(ctx context.Context, h int, fn func(y0, y1 int)) {
	b := budgetOf(ctx)
	// Below ~32 rows a band is not worth a goroutine.
	k := b.helpers(h/32 - 1)
	if k == 0 {
		fn(0, h)
		return
	}
	defer b.cores.giveBack(k)
	var wg sync.WaitGroup
	chunk := (h + k) / (k + 1)
	for i := range k {
		wg.Go(func() { fn(i*chunk, min((i+1)*chunk, h)) })
	}
	fn(min(k*chunk, h), h)
	wg.Wait()
}

// stopRow is the row loops' cancellation check: every stopEvery rows it
// looks at ctx, so a cancelled task (its time limit, a worker stopping)
// leaves a filter within a few milliseconds even on a 7000x7000 image with a
// wide blur, at no measurable cost. A loop that stops leaves its output
// unfinished; apply checks ctx after every step and throws it away.
func stopRow(ctx context.Context, y int) bool {
	return y%stopEvery == 0 && ctx.Err() != nil
}

// stopEvery rows: a row of a 7000-pixel RGBA blur:50 takes about 1 ms.
const stopEvery = 8

// applyLUT maps the colour channels in place (alpha untouched).
func (p plane) applyLUT(ctx context.Context, lut *[256]uint8) {
	parallelRows(ctx, p.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			row := p.row(y)
			if p.c == 1 {
				for i, v := range row {
					row[i] = lut[v]
				}
				continue
			}
			for i := 0; i+3 < len(row); i += 4 {
				row[i] = lut[row[i]]
				row[i+1] = lut[row[i+1]]
				row[i+2] = lut[row[i+2]]
			}
		}
	})
}

// meanLuma is the rounded mean grey level (Pillow's contrast pivot).
func (p plane) meanLuma(ctx context.Context) int {
	var sum uint64
	for y := 0; y < p.h; y++ {
		if stopRow(ctx, y) {
			return 0
		}
		row := p.row(y)
		if p.c == 1 {
			for _, v := range row {
				sum += uint64(v)
			}
			continue
		}
		for i := 0; i+3 < len(row); i += 4 {
			sum += uint64(luma(row[i], row[i+1], row[i+2]))
		}
	}
	n := uint64(p.w) * uint64(p.h)
	if n == 0 {
		return 0
	}
	return int((sum + n/2) / n)
}

// toGray turns a 4-channel plane into a grey one.
func (p plane) toGray(ctx context.Context) plane {
	if p.c == 1 || ctx.Err() != nil {
		return p
	}
	out := newPlane(p.w, p.h, 1)
	parallelRows(ctx, p.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			src, dst := p.row(y), out.row(y)
			for x := range dst {
				s := src[x*4 : x*4+3 : x*4+3]
				dst[x] = uint8((lumaR*uint32(s[0]) + lumaG*uint32(s[1]) + lumaB*uint32(s[2]) + 1<<15) >> 16)
			}
		}
	})
	return out
}

// sharpen is imaging's unsharp mask: clamp(2*src - blur(src)).
func (p plane) sharpen(ctx context.Context, sigma float64) plane {
	if ctx.Err() != nil {
		return p // apply drops the result of a cancelled step
	}
	blurred := p.blur(ctx, sigma)
	parallelRows(ctx, p.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			src, dst := p.row(y), blurred.row(y)
			for i, v := range src {
				d := 2*int(v) - int(dst[i])
				dst[i] = uint8(min(max(d, 0), 255))
			}
		}
	})
	return blurred
}

// edges is the 3x3 Laplacian (8*centre - 8 neighbours) with edge pixels
// repeated beyond the border, clamped to 0..255; alpha is kept.
func (p plane) edges(ctx context.Context) plane {
	if ctx.Err() != nil {
		return p // apply drops the result of a cancelled step
	}
	out := newPlane(p.w, p.h, p.c)
	c, w := p.c, p.w
	parallelRows(ctx, p.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			up, mid, dn := p.row(max(y-1, 0)), p.row(y), p.row(min(y+1, p.h-1))
			dst := out.row(y)
			for x := 0; x < w; x++ {
				xl, xr := max(x-1, 0)*c, min(x+1, w-1)*c
				xm := x * c
				for ch := 0; ch < min(c, 3); ch++ {
					s := 9*int(mid[xm+ch]) -
						int(up[xl+ch]) - int(up[xm+ch]) - int(up[xr+ch]) -
						int(mid[xl+ch]) - int(mid[xm+ch]) - int(mid[xr+ch]) -
						int(dn[xl+ch]) - int(dn[xm+ch]) - int(dn[xr+ch])
					dst[xm+ch] = uint8(min(max(s, 0), 255))
				}
				if c == 4 {
					dst[xm+3] = mid[xm+3]
				}
			}
		}
	})
	return out
}
