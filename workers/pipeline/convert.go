package pipeline

import (
	"context"
	"image"
	"image/draw"
)

// chromaShifts gives how many bits to shift x and y to find a pixel's
// chroma sample in a subsampled YCbCr image.
func chromaShifts(r image.YCbCrSubsampleRatio) (sx, sy uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

// ycc2rgb is color.YCbCrToRGB, inlined for the hot loops.
func ycc2rgb(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy + 91881*cr1
	g := yy - 22554*cb1 - 46802*cr1
	b := yy + 116130*cb1
	return clip16(r), clip16(g), clip16(b)
}

func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// toPlane copies an opaque image into a plane: 1 channel for grey images,
// 4 otherwise. ok is false if the image has transparency (the fast path
// leaves those to Reference, which weights colours by alpha).
func toPlane(ctx context.Context, img image.Image) (p plane, ok bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		p = newPlane(w, h, 1)
		for y := 0; y < h; y++ {
			copy(p.row(y), m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return p, true
	case *image.YCbCr:
		p = newPlane(w, h, 4)
		sx, sy := chromaShifts(m.SubsampleRatio)
		parallelRows(ctx, h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				if stopRow(ctx, y-y0) {
					return
				}
				yrow := m.Y[(b.Min.Y+y-m.Rect.Min.Y)*m.YStride+(b.Min.X-m.Rect.Min.X):]
				ci := ((b.Min.Y+y)>>sy - m.Rect.Min.Y>>sy) * m.CStride
				cbrow, crrow := m.Cb[ci:], m.Cr[ci:]
				cx0 := m.Rect.Min.X >> sx
				dst := p.row(y)
				for x := 0; x < w; x++ {
					cx := (b.Min.X+x)>>sx - cx0
					r, g, bb := ycc2rgb(yrow[x], cbrow[cx], crrow[cx])
					d := dst[x*4 : x*4+4 : x*4+4]
					d[0], d[1], d[2], d[3] = r, g, bb, 255
				}
			}
		})
		return p, true
	}
	o, isOpaque := img.(interface{ Opaque() bool })
	if isOpaque && !o.Opaque() {
		return plane{}, false
	}
	// Everything else (NRGBA, RGBA, CMYK, paletted, 16-bit) goes through
	// draw, which has fast paths for the common types; opaque means
	// premultiplied and straight alpha are the same bytes.
	p = newPlane(w, h, 4)
	dst := &image.RGBA{Pix: p.pix, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	if !isOpaque && !dst.Opaque() {
		return plane{}, false
	}
	return p, true
}

// grayWithLUT fuses "point ops on R, G and B, then grayscale" into one pass
// over the source, producing a 1-channel plane. For the course pipeline this
// is brightness+grayscale straight from the JPEG's YCbCr planes: no RGB
// image is ever stored.
func grayWithLUT(ctx context.Context, img image.Image, lut *[256]uint8) (plane, bool) {
	var tr, tg, tb [256]uint32
	for i := range 256 {
		v := uint32(lut[i])
		tr[i], tg[i], tb[i] = lumaR*v, lumaG*v, lumaB*v
	}
	gray := func(r, g, b uint8) uint8 { return uint8((tr[r] + tg[g] + tb[b] + 1<<15) >> 16) }

	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		p, _ := toPlane(ctx, m)
		p.applyLUT(ctx, lut)
		return p, true
	case *image.YCbCr:
		p := newPlane(w, h, 1)
		tabs := newFusedTables(lut)
		parallelRows(ctx, h, func(y0, y1 int) { fusedGrayRows(ctx, p, m, tabs, y0, y1) })
		return p, true
	}
	p, ok := toPlane(ctx, img)
	if !ok {
		return p, false
	}
	out := newPlane(w, h, 1)
	parallelRows(ctx, h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			if stopRow(ctx, y-y0) {
				return
			}
			src, dst := p.row(y), out.row(y)
			for x := range dst {
				s := src[x*4 : x*4+3 : x*4+3]
				dst[x] = gray(s[0], s[1], s[2])
			}
		}
	})
	return out, true
}

// fusedGrayRows writes rows y0..y1-1 of p (m's size, 1 channel) from m:
// the fused point ops and grayscale of grayWithLUT. The decoder calls it on
// each band as soon as it is decoded (see startDuringDecode).
func fusedGrayRows(ctx context.Context, p plane, m *image.YCbCr, tabs *fusedTables, y0, y1 int) {
	b := m.Rect
	w := b.Dx()
	sx, sy := chromaShifts(m.SubsampleRatio)
	for y := y0; y < y1; y++ {
		if stopRow(ctx, y-y0) {
			return
		}
		yrow := m.Y[y*m.YStride:]
		yrow = yrow[:w]
		ci := ((b.Min.Y+y)>>sy - b.Min.Y>>sy) * m.CStride
		cbrow, crrow := m.Cb[ci:], m.Cr[ci:]
		dst := p.row(y)
		if sx == 1 && b.Min.X%2 == 0 {
			fusedRow420(dst, yrow, cbrow, crrow, tabs)
			continue
		}
		cx0 := b.Min.X >> sx
		for x := 0; x < w; x++ {
			cx := (b.Min.X+x)>>sx - cx0
			r, g, bb := ycc2rgb(yrow[x], cbrow[cx], crrow[cx])
			dst[x] = uint8((tabs.r[256+int(r)] + tabs.g[256+int(g)] + tabs.b[256+int(bb)] + 1<<15) >> 16)
		}
	}
}

// fusedTables turn "YCbCr to RGB, clamp, point-op LUT, weight for luma" into
// three table loads per pixel: entry i of r holds lumaR*lut[clamp(i-256)],
// indexed by Y plus the chroma offset for R (likewise g, b). 1024 entries so
// an index masked with 1023 needs no bounds check.
type fusedTables struct{ r, g, b [1024]uint32 }

func newFusedTables(lut *[256]uint8) *fusedTables {
	t := new(fusedTables)
	for i := range 1024 {
		v := uint32(lut[min(max(i-256, 0), 255)])
		t.r[i], t.g[i], t.b[i] = lumaR*v, lumaG*v, lumaB*v
	}
	return t
}

// chromaOffsets are the R, G and B offsets (plus 256) that a chroma sample
// adds to Y: the JFIF equations of color.YCbCrToRGB, rounded once.
func chromaOffsets(cb, cr uint8) (int, int, int) {
	cb1, cr1 := int(cb)-128, int(cr)-128
	return 256 + (91881*cr1+1<<15)>>16, 256 + (-22554*cb1-46802*cr1+1<<15)>>16, 256 + (116130*cb1+1<<15)>>16
}

// fusedRow420 handles one row with horizontally halved chroma (4:2:0,
// 4:2:2): the offsets are computed once per two pixels.
func fusedRow420(dst, yrow, cbrow, crrow []uint8, t *fusedTables) {
	w := len(dst)
	yrow = yrow[:w]
	cbrow, crrow = cbrow[:(w+1)/2], crrow[:(w+1)/2]
	for cx := range cbrow {
		dr, dg, db := chromaOffsets(cbrow[cx], crrow[cx])
		x := 2 * cx
		y := int(yrow[x])
		dst[x] = uint8((t.r[(y+dr)&1023] + t.g[(y+dg)&1023] + t.b[(y+db)&1023] + 1<<15) >> 16)
		if x+1 < w {
			y = int(yrow[x+1])
			dst[x+1] = uint8((t.r[(y+dr)&1023] + t.g[(y+dg)&1023] + t.b[(y+db)&1023] + 1<<15) >> 16)
		}
	}
}
