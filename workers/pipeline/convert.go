package pipeline

import (
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
func toPlane(img image.Image) (p plane, ok bool) {
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
		parallelRows(h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
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
func grayWithLUT(img image.Image, lut *[256]uint8) (plane, bool) {
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
		p, _ := toPlane(m)
		p.applyLUT(lut)
		return p, true
	case *image.YCbCr:
		p := newPlane(w, h, 1)
		sx, sy := chromaShifts(m.SubsampleRatio)
		parallelRows(h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				yrow := m.Y[(b.Min.Y+y-m.Rect.Min.Y)*m.YStride+(b.Min.X-m.Rect.Min.X):]
				yrow = yrow[:w]
				ci := ((b.Min.Y+y)>>sy - m.Rect.Min.Y>>sy) * m.CStride
				cbrow, crrow := m.Cb[ci:], m.Cr[ci:]
				cx0 := m.Rect.Min.X >> sx
				dst := p.row(y)
				if sx == 1 && b.Min.X%2 == 0 && m.Rect.Min.X%2 == 0 {
					// 4:2:0 / 4:2:2 fast loop: two pixels per chroma sample.
					cbrow, crrow = cbrow[(b.Min.X>>1)-cx0:], crrow[(b.Min.X>>1)-cx0:]
					x := 0
					for ; x+1 < w; x += 2 {
						cb, cr := cbrow[x>>1], crrow[x>>1]
						r, g, bb := ycc2rgb(yrow[x], cb, cr)
						dst[x] = gray(r, g, bb)
						r, g, bb = ycc2rgb(yrow[x+1], cb, cr)
						dst[x+1] = gray(r, g, bb)
					}
					if x < w {
						r, g, bb := ycc2rgb(yrow[x], cbrow[x>>1], crrow[x>>1])
						dst[x] = gray(r, g, bb)
					}
					continue
				}
				for x := 0; x < w; x++ {
					cx := (b.Min.X+x)>>sx - cx0
					r, g, bb := ycc2rgb(yrow[x], cbrow[cx], crrow[cx])
					dst[x] = gray(r, g, bb)
				}
			}
		})
		return p, true
	}
	p, ok := toPlane(img)
	if !ok {
		return p, false
	}
	out := newPlane(w, h, 1)
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src, dst := p.row(y), out.row(y)
			for x := range dst {
				s := src[x*4 : x*4+3 : x*4+3]
				dst[x] = gray(s[0], s[1], s[2])
			}
		}
	})
	return out, true
}
