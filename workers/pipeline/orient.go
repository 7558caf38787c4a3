package pipeline

import (
	"encoding/binary"
	"image"
	"image/color"
)

// EXIF orientation (TIFF tag 0x0112): how a camera's stored pixels are to be
// turned for display. A phone stores a portrait photo as a landscape image
// with Orientation 6; everything imgq reports and outputs is the displayed
// picture. Values 5..8 swap width and height.
//
//	1 as stored      2 mirrored        3 rotated 180°   4 flipped
//	5 transposed     6 rotated 90° CW  7 transversed    8 rotated 90° CCW

// jpegOrientation returns the EXIF orientation of a JPEG (1..8), or 1 when it
// has none or it cannot be read. It reads only the marker segments before the
// image data and IFD0 of an APP1 "Exif" segment: a small, bounded parse of
// untrusted bytes that never panics (every offset is checked).
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xDA || marker == 0xD9: // image data or end: EXIF comes before
			return 1
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF structure, 0 if absent.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 0
	}
	count := int64(bo.Uint16(t[ifd:]))
	for k := int64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// SHORT (type 3), count 1: the value sits in the entry's first two bytes.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 0
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// swapsAxes reports whether orientation o displays the image turned by 90°.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }

// orient returns img as displayed under EXIF orientation o (1..8): img itself
// for 1, else a new *image.Gray (for a grey input) or *image.NRGBA.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	// src returns the stored pixel shown at display (x, y), relative to b.Min.
	src := func(x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return y, h - 1 - x
		case 7:
			return w - 1 - y, h - 1 - x
		default: // 8
			return w - 1 - y, x
		}
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(image.Rect(0, 0, dw, dh))
		for y := 0; y < dh; y++ {
			row := out.Pix[y*out.Stride : y*out.Stride+dw]
			for x := range row {
				sx, sy := src(x, y)
				row[x] = g.Pix[(sy)*g.Stride+sx]
			}
		}
		return out
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	ycc, isYCC := img.(*image.YCbCr)
	for y := 0; y < dh; y++ {
		row := out.Pix[y*out.Stride : y*out.Stride+4*dw]
		for x := 0; x < dw; x++ {
			sx, sy := src(x, y)
			var c color.NRGBA
			if isYCC {
				yi, ci := ycc.YOffset(b.Min.X+sx, b.Min.Y+sy), ycc.COffset(b.Min.X+sx, b.Min.Y+sy)
				r, g, bl := color.YCbCrToRGB(ycc.Y[yi], ycc.Cb[ci], ycc.Cr[ci])
				c = color.NRGBA{r, g, bl, 0xFF}
			} else {
				c = color.NRGBAModel.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.NRGBA)
			}
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
	return out
}
