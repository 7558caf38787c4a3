package fastjpeg

import (
	"image"
)

// unzig maps zig-zag order to natural order.
var unzig = [blockSize]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

type jcomp struct {
	id, tq uint8
	h, v   int
}

type jdec struct {
	data     []byte
	pos      int
	width    int
	height   int
	nComp    int
	comp     [3]jcomp
	baseline bool
	quant    [4][blockSize]int32 // zig-zag order
	huff     [2][4]*jhuff        // [class][table]; nil: not defined (pooled, see huffman.go)
	ri       int
	img1     *image.Gray
	img3     *image.YCbCr
	helpers  int         // goroutines for the IDCTs (bands.go); 0: all on the caller
	onBand   BandFunc    // told of each finished MCU row (bands.go); may be nil
	stop     func() bool // asked before each MCU row (bands.go); may be nil

	// Bit reader: n valid bits at the bottom of acc. fake counts zero bits
	// fed in past a marker or the end of data; using any of them means
	// the data was short, which image/jpeg treats as an error.
	acc  uint64
	n    uint
	fake uint
}

// Decode decodes a whole JPEG file into exactly the image image/jpeg.Decode
// gives (*image.Gray or *image.YCbCr), or returns ErrUnsupported for anything
// it does not handle exactly like image/jpeg, corrupt data included. It never
// panics (fuzzed); a panic, which would be a bug, still becomes
// ErrUnsupported, as the data is untrusted.
func Decode(data []byte) (img image.Image, err error) {
	defer func() {
		if recover() != nil {
			img, err = nil, ErrUnsupported
		}
	}()
	return decode(data)
}

// decode is Decode without the recover, for the tests and the fuzz target,
// which must see a panic.
func decode(data []byte) (image.Image, error) {
	d := &jdec{data: data}
	defer d.putTables()
	return d.decode()
}

func (d *jdec) u16(at int) int { return int(d.data[at])<<8 | int(d.data[at+1]) }

func (d *jdec) decode() (image.Image, error) {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != 0xD8 {
		return nil, ErrUnsupported
	}
	d.pos = 2
	scans := 0
	for {
		marker, ok := d.nextMarker()
		if !ok {
			return nil, ErrUnsupported
		}
		if marker == 0xD9 { // EOI
			break
		}
		if marker >= 0xD0 && marker <= 0xD7 { // stray RST, ignored
			continue
		}
		seg, ok := d.segment()
		if !ok {
			return nil, ErrUnsupported
		}
		if marker == 0xDA {
			if scans++; scans > 1 {
				return nil, ErrUnsupported
			}
			d.pos += len(seg)
			if err := d.sos(seg); err != nil {
				return nil, err
			}
			continue // d.pos is past the entropy-coded data
		}
		if err := d.marker(marker, seg); err != nil {
			return nil, err
		}
		d.pos += len(seg)
	}
	if d.img1 != nil {
		return d.img1, nil
	}
	if d.img3 != nil {
		return d.img3, nil
	}
	return nil, ErrUnsupported
}

// nextMarker finds the next marker and moves past it, skipping extraneous
// bytes, 0xFF00 and fill bytes as image/jpeg does.
func (d *jdec) nextMarker() (byte, bool) {
	for {
		if d.pos+2 > len(d.data) {
			return 0, false
		}
		for d.data[d.pos] != 0xFF {
			d.pos++
			if d.pos+2 > len(d.data) {
				return 0, false
			}
		}
		marker := d.data[d.pos+1]
		d.pos += 2
		if marker == 0 {
			continue
		}
		for marker == 0xFF {
			if d.pos >= len(d.data) {
				return 0, false
			}
			marker = d.data[d.pos]
			d.pos++
		}
		return marker, true
	}
}

// segment reads a marker segment's length and returns its contents, leaving
// d.pos at their start.
func (d *jdec) segment() ([]byte, bool) {
	if d.pos+2 > len(d.data) {
		return nil, false
	}
	n := d.u16(d.pos) - 2
	d.pos += 2
	if n < 0 || d.pos+n > len(d.data) {
		return nil, false
	}
	return d.data[d.pos : d.pos+n], true
}

// marker reads the segment of a marker other than SOS, EOI and RSTn.
func (d *jdec) marker(marker byte, seg []byte) error {
	switch {
	case marker == 0xC0 || marker == 0xC1:
		d.baseline = marker == 0xC0
		return d.sof(seg)
	case marker == 0xC4:
		return d.dht(seg)
	case marker == 0xDB:
		return d.dqt(seg)
	case marker == 0xDD:
		if len(seg) != 2 {
			return ErrUnsupported
		}
		d.ri = int(seg[0])<<8 | int(seg[1])
		return nil
	case marker == 0xEE: // APP14 (Adobe) can mean RGB or CMYK
		return ErrUnsupported
	case marker >= 0xE0 && marker <= 0xEF, marker == 0xFE:
		return nil // APPn, COM: skipped
	default:
		return ErrUnsupported
	}
}

func (d *jdec) sof(seg []byte) error {
	if d.nComp != 0 || len(seg) < 6 || seg[0] != 8 {
		return ErrUnsupported
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	if (nc != 1 && nc != 3) || len(seg) != 6+3*nc || d.width == 0 || d.height == 0 {
		return ErrUnsupported
	}
	d.nComp = nc
	for i := range nc {
		c := &d.comp[i]
		c.id, c.tq = seg[6+3*i], seg[8+3*i]
		c.h, c.v = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		for j := range i {
			if d.comp[j].id == c.id {
				return ErrUnsupported
			}
		}
		if c.tq > 3 || c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 {
			return ErrUnsupported
		}
		if nc == 1 {
			c.h, c.v = 1, 1
		}
	}
	if nc == 3 {
		// image/jpeg turns components named R, G, B into an RGBA image.
		if d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B' {
			return ErrUnsupported
		}
		y := d.comp[0]
		if y.h > 2 || y.v > 2 || d.comp[1].h != 1 || d.comp[1].v != 1 || d.comp[2].h != 1 || d.comp[2].v != 1 {
			return ErrUnsupported
		}
	}
	return nil
}

func (d *jdec) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		seg = seg[1:]
		if tq > 3 {
			return ErrUnsupported
		}
		switch pq {
		case 0:
			if len(seg) < blockSize {
				return ErrUnsupported
			}
			for i := range blockSize {
				d.quant[tq][i] = int32(seg[i])
			}
			seg = seg[blockSize:]
		case 1:
			if len(seg) < 2*blockSize {
				return ErrUnsupported
			}
			for i := range blockSize {
				d.quant[tq][i] = int32(seg[2*i])<<8 | int32(seg[2*i+1])
			}
			seg = seg[2*blockSize:]
		default:
			return ErrUnsupported
		}
	}
	return nil
}

// sos decodes the scan: every MCU's blocks, in the frame's component order,
// straight into the image's planes.
func (d *jdec) sos(seg []byte) error {
	td, ta, err := d.scanTables(seg)
	if err != nil {
		return err
	}
	h0, v0 := d.comp[0].h, d.comp[0].v
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	planes, strides := d.makeImg(mxx, myy)
	if d.helpers > 0 && myy > 1 {
		if err := d.sosBands(td, ta, mxx, myy, planes, strides); err != nil {
			return err
		}
		return d.endScan()
	}

	var dc [3]int32
	var b block
	mcu, rst := 0, byte(0xD0)
	for my := range myy {
		if d.stop != nil && d.stop() {
			return ErrStopped
		}
		for mx := range mxx {
			for ci := range d.nComp {
				c := &d.comp[ci]
				q := &d.quant[c.tq]
				dcT, acT := d.huff[0][td[ci]], d.huff[1][ta[ci]]
				for j := range c.h * c.v {
					bx, by := c.h*mx+j%c.h, c.v*my+j/c.h
					ac, ok := d.decodeBlock(&b, dcT, acT, q, &dc[ci])
					if !ok {
						return ErrUnsupported
					}
					putBlock(planes[ci][8*(by*strides[ci]+bx):], strides[ci], &b, ac)
				}
			}
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				if err := d.restart(rst); err != nil {
					return err
				}
				rst = 0xD0 + (rst-0xD0+1)%8
				dc = [3]int32{}
			}
		}
		d.bandDone(my)
	}
	return d.endScan()
}

// endScan checks that the scan's bits were all used and resets the reader.
func (d *jdec) endScan() error {
	if d.n-d.fake >= 8 {
		return ErrUnsupported // unread whole bytes: leave odd files to image/jpeg
	}
	d.acc, d.n, d.fake = 0, 0, 0
	return nil
}

// scanTables reads the scan header: the DC and AC Huffman tables of each
// component, which must all be in the scan in the frame's order.
func (d *jdec) scanTables(seg []byte) (td, ta [3]uint8, err error) {
	if d.nComp == 0 || len(seg) < 1 {
		return td, ta, ErrUnsupported
	}
	ns := int(seg[0])
	if ns != d.nComp || len(seg) != 4+2*ns {
		return td, ta, ErrUnsupported
	}
	for i := range ns {
		if seg[1+2*i] != d.comp[i].id {
			return td, ta, ErrUnsupported // only the frame's order, all components
		}
		td[i], ta[i] = seg[2+2*i]>>4, seg[2+2*i]&15
		if td[i] > 3 || ta[i] > 3 || d.huff[0][td[i]] == nil || d.huff[1][ta[i]] == nil {
			return td, ta, ErrUnsupported
		}
	}
	return td, ta, nil
}

// makeImg allocates the image of mxx×myy MCUs, the same planes as
// image/jpeg's makeImg so the result is identical, and returns them. The
// bytes may be a recycled image's (see Recycle): the scan stores every
// block of them before the image is returned.
func (d *jdec) makeImg(mxx, myy int) (planes [3][]uint8, strides [3]int) {
	h0, v0 := d.comp[0].h, d.comp[0].v
	if d.nComp == 1 {
		m := makeGray(image.Rect(0, 0, 8*mxx, 8*myy))
		d.img1 = m.SubImage(image.Rect(0, 0, d.width, d.height)).(*image.Gray)
		planes[0], strides[0] = m.Pix, m.Stride
		return planes, strides
	}
	ratio := map[int]image.YCbCrSubsampleRatio{0x11: image.YCbCrSubsampleRatio444, 0x12: image.YCbCrSubsampleRatio440,
		0x21: image.YCbCrSubsampleRatio422, 0x22: image.YCbCrSubsampleRatio420}[h0<<4|v0]
	m := makeYCbCr(image.Rect(0, 0, 8*h0*mxx, 8*v0*myy), ratio)
	d.img3 = m.SubImage(image.Rect(0, 0, d.width, d.height)).(*image.YCbCr)
	return [3][]uint8{m.Y, m.Cb, m.Cr}, [3]int{m.YStride, m.CStride, m.CStride}
}

// decodeBlock decodes one block's Huffman-coded coefficients into b,
// dequantised, in natural order; dc is the component's DC predictor. ac says
// whether any AC coefficient is non-zero; !ok means the data is not what
// image/jpeg would decode the same way.
func (d *jdec) decodeBlock(b *block, dcT, acT *jhuff, q *[blockSize]int32, dc *int32) (ac, ok bool) {
	*b = block{}
	if d.n < 32 {
		d.refill()
	}
	s, ok := d.decodeSym(dcT)
	if !ok || s > 16 {
		return false, false
	}
	if d.n < 16 {
		d.refill()
	}
	*dc += d.extend(s)
	b[0] = *dc * q[0]
	for zig := 1; zig < blockSize; zig++ {
		if d.n < 32 {
			d.refill()
		}
		if f := acT.fastAC[(d.acc>>(d.n-hufLookBits))&(1<<hufLookBits-1)]; f != 0 {
			zig += int(f>>8) & 0xFF
			if zig >= blockSize {
				// Like image/jpeg: the block ends before the extra bits.
				d.n -= uint(f>>4) & 0xF
				break
			}
			d.n -= uint(f) & 0xF
			b[unzig[zig]] = (f >> 16) * q[zig]
			ac = true
			continue
		}
		sym, ok := d.decodeSym(acT)
		if !ok {
			return false, false
		}
		r, s := int(sym>>4), sym&15
		if s == 0 {
			if r == 15 {
				zig += 15
				continue
			}
			if r != 0 {
				return false, false // EOB run: progressive-only
			}
			break
		}
		zig += r
		if zig >= blockSize {
			break // as image/jpeg: a run past the end ends the block
		}
		b[unzig[zig]] = d.extend(s) * q[zig]
		ac = true
	}
	if d.fake > d.n {
		return false, false // read past the end of the data
	}
	return ac, true
}

// restart expects the marker RSTn right after the segment's last byte.
func (d *jdec) restart(want byte) error {
	if d.n-d.fake >= 8 || d.pos+2 > len(d.data) || d.data[d.pos] != 0xFF || d.data[d.pos+1] != want {
		return ErrUnsupported
	}
	d.pos += 2
	d.acc, d.n, d.fake = 0, 0, 0
	return nil
}

// dcOnlyMax bounds the dequantised DC values for which the IDCT of a
// DC-only block is known to be (dc+4)>>3 everywhere (tested exhaustively;
// real files stay within ±1100).
const dcOnlyMax = 16000

func clampShift(dc int32) uint8 {
	v := (dc+4)>>3 + 128
	if uint32(v) > 255 {
		v = ^(v >> 31) & 255
	}
	return uint8(v)
}

func fillBlock(dst []uint8, stride int, v uint8) {
	for y := range 8 {
		row := dst[y*stride : y*stride+8 : y*stride+8]
		for x := range row {
			row[x] = v
		}
	}
}

// storeBlock level-shifts, clamps and writes an IDCT output block.
func storeBlock(dst []uint8, stride int, b *block) {
	for y := range 8 {
		row := dst[y*stride : y*stride+8 : y*stride+8]
		src := b[y*8 : y*8+8 : y*8+8]
		for x, c := range src {
			c += 128
			if uint32(c) > 255 {
				c = ^(c >> 31) & 255 // 0 below, 255 above
			}
			row[x] = uint8(c)
		}
	}
}
