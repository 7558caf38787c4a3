package fastjpeg

// A baseline JPEG encoder for 1-channel images, producing what image/jpeg
// produces for an *image.Gray (same quantisation and Huffman tables, same
// FDCT: the output is byte-identical when encoded as one piece, see
// TestGrayJPEGMatchesStdlib) but about twice as fast, because:
//   - quantisation multiplies by a reciprocal instead of dividing;
//   - bits go to a []byte 32 at a time through a 64-bit accumulator instead
//     of byte by byte through an io.ByteWriter;
//   - big images are cut into horizontal strips separated by restart
//     markers (DRI/RSTn, part of baseline JPEG that every decoder reads),
//     and the strips are encoded in parallel.

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
	"runtime"
	"sync"
)

// lumaQuant is the luminance table of ITU T.81 K.1 in zig-zag order.
var lumaQuant = [blockSize]uint8{
	16, 11, 12, 14, 12, 10, 16, 14,
	13, 14, 18, 17, 16, 19, 24, 40,
	26, 24, 22, 22, 24, 49, 35, 37,
	29, 40, 58, 51, 61, 60, 57, 51,
	56, 55, 64, 72, 92, 78, 64, 68,
	87, 69, 55, 56, 80, 109, 81, 87,
	95, 98, 103, 104, 103, 62, 77, 113,
	121, 112, 100, 120, 92, 101, 103, 99,
}

var chromaQuant = [blockSize]uint8{
	17, 18, 18, 24, 21, 24, 47, 26,
	26, 47, 99, 66, 56, 66, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
}

// Luminance Huffman tables of ITU T.81 K.3.
var (
	lumaDCCount = [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	lumaDCValue = []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	lumaACCount = [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125}
	lumaACValue = []uint8{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
		0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
		0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
		0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}
	lumaDCCodes = huffCodes(lumaDCCount, lumaDCValue)
	lumaACCodes = huffCodes(lumaACCount, lumaACValue)
)

// huffCodes compiles a table: entry v is length<<24 | code.
func huffCodes(count [16]uint8, values []uint8) (t [256]uint32) {
	code, k := uint32(0), 0
	for i, n := range count {
		for range n {
			t[values[k]] = uint32(i+1)<<24 | code
			code++
			k++
		}
		code <<= 1
	}
	return t
}

type grayEncoder struct {
	quant       [blockSize]uint8  // zig-zag
	chromaQuant [blockSize]uint8  // only written to the header
	recip       [blockSize]uint64 // natural order: 2^40 / (8*quant) rounded up
	half        [blockSize]int32  // natural order: (8*quant)/2
}

func newGrayEncoder(quality int) *grayEncoder {
	scale := 200 - quality*2
	if quality < 50 {
		scale = 5000 / quality
	}
	e := new(grayEncoder)
	for zig, u := range lumaQuant {
		q := min(max((int(u)*scale+50)/100, 1), 255)
		e.quant[zig] = uint8(q)
		d := uint64(8 * q)
		// Exact floor(n/d) for n < 2^21 (FDCT outputs are < 2^16): the
		// rounding error of the reciprocal times n stays below 2^40.
		e.recip[unzig[zig]] = (1<<40)/d + 1
		e.half[unzig[zig]] = int32(d / 2)
		e.chromaQuant[zig] = uint8(min(max((int(chromaQuant[zig])*scale+50)/100, 1), 255))
	}
	return e
}

// quantize is image/jpeg's div(a, 8*q): round half away from zero.
// Branch-free: signs of AC coefficients are unpredictable.
func (e *grayEncoder) quantize(a int32, i int) int32 {
	sign := a >> 31
	abs := (a ^ sign) - sign
	q := int32((uint64(abs+e.half[i&63]) * e.recip[i&63]) >> 40)
	return (q ^ sign) - sign
}

// bitWriter appends entropy-coded bits with 0xFF byte stuffing.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

// emit appends the low n bits of bits (n <= 32). Small enough to inline;
// the flush is out of line.
func (w *bitWriter) emit(bits uint32, n uint) {
	w.acc = w.acc<<n | uint64(bits)
	w.n += n
	if w.n >= 32 {
		w.flush32()
	}
}

//go:noinline
func (w *bitWriter) flush32() {
	w.n -= 32
	v := uint32(w.acc >> w.n)
	// Any 0xFF byte needs a 0x00 after it; test all four at once.
	if x := ^v; (x-0x01010101)&^x&0x80808080 == 0 {
		w.buf = binary.BigEndian.AppendUint32(w.buf, v)
		return
	}
	for s := 24; s >= 0; s -= 8 {
		b := byte(v >> s)
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
	}
}

// finish pads with 1 bits to a byte boundary and flushes.
func (w *bitWriter) finish() {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.emit(1<<pad-1, pad)
	}
	for w.n >= 8 {
		w.n -= 8
		b := byte(w.acc >> w.n)
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
	}
}

// emitValue emits a Huffman symbol (run<<4 | size) and the size extra bits of v.
func (w *bitWriter) emitValue(codes *[256]uint32, run int32, v int32) {
	a, b := v, v
	if a < 0 {
		a, b = -v, v-1
	}
	n := uint32(bits.Len32(uint32(a)))
	c := codes[uint8(run<<4|int32(n))]
	w.emit((c&0xffffff)<<n|uint32(b)&(1<<n-1), uint(c>>24+n))
}

func (e *grayEncoder) writeBlock(w *bitWriter, b *block, prevDC int32) int32 {
	fdct(b)
	dc := e.quantize(b[0], 0)
	w.emitValue(&lumaDCCodes, 0, dc-prevDC)
	// Quantise all AC coefficients without branches, noting which are
	// non-zero in a bit mask, then visit only those: most of a block's
	// high frequencies quantise to zero, and testing each one would cost a
	// mispredicted branch.
	var q [blockSize]int32
	var nz uint64
	for zig := 1; zig < blockSize; zig++ {
		v := e.quantize(b[unzig[zig]], unzig[zig])
		q[zig] = v
		nz |= uint64(uint32(v|-v)>>31) << zig
	}
	last := 0
	for nz != 0 {
		zig := bits.TrailingZeros64(nz)
		nz &= nz - 1
		run := int32(zig - last - 1)
		for run > 15 {
			c := lumaACCodes[0xf0]
			w.emit(c&0xffffff, uint(c>>24))
			run -= 16
		}
		w.emitValue(&lumaACCodes, run, q[zig&63])
		last = zig
	}
	if last < blockSize-1 {
		c := lumaACCodes[0x00]
		w.emit(c&0xffffff, uint(c>>24))
	}
	return dc
}

// encodeStrip entropy-codes MCU rows [r0, r1) of g.
func (e *grayEncoder) encodeStrip(g *image.Gray, r0, r1 int, buf []byte) []byte {
	w := bitWriter{buf: buf}
	var b block
	var dc int32
	width, height := g.Rect.Dx(), g.Rect.Dy()
	for by := r0 * 8; by < r1*8 && by < height; by += 8 {
		for bx := 0; bx < width; bx += 8 {
			if bx+8 <= width && by+8 <= height {
				for j := range 8 {
					row := g.Pix[(by+j)*g.Stride+bx:]
					row = row[:8]
					d := b[j*8 : j*8+8]
					for i, v := range row {
						d[i] = int32(v)
					}
				}
			} else {
				// Partial block: repeat the last column and row, like image/jpeg.
				for j := range 8 {
					row := g.Pix[min(by+j, height-1)*g.Stride:]
					for i := range 8 {
						b[j*8+i] = int32(row[min(bx+i, width-1)])
					}
				}
			}
			dc = e.writeBlock(&w, &b, dc)
		}
	}
	w.finish()
	return w.buf
}

// EncodeGray encodes g (Rect.Min must be 0,0; sides 1..65535) as a baseline
// 1-component JPEG at the given quality (1..100). With strips <= 1 the output
// is byte-identical to image/jpeg's; strips > 1 splits the scan with restart
// markers (which every decoder reads) and encodes the pieces concurrently, on
// at most GOMAXPROCS goroutines that have all ended when it returns.
func EncodeGray(g *image.Gray, quality, strips int) ([]byte, error) {
	return EncodeGrayWith(g, quality, strips, goroutines(runtime.GOMAXPROCS(0)))
}

// Runner runs task(0..n-1), possibly concurrently, and returns when all have
// ended. The caller decides how many threads that takes (the pipeline lends
// its idle cores).
type Runner func(n int, task func(i int))

// goroutines is a Runner on at most k goroutines.
func goroutines(k int) Runner {
	return func(n int, task func(i int)) {
		if k <= 1 || n <= 1 {
			for i := range n {
				task(i)
			}
			return
		}
		sem := make(chan struct{}, k)
		var wg sync.WaitGroup
		for i := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				task(i)
			})
		}
		wg.Wait()
	}
}

// EncodeGrayWith is EncodeGray with the strips run by run. The output
// depends on strips only, never on how run schedules them.
func EncodeGrayWith(g *image.Gray, quality, strips int, run Runner) ([]byte, error) {
	width, height := g.Rect.Dx(), g.Rect.Dy()
	if width >= 1<<16 || height >= 1<<16 || width < 1 || height < 1 || g.Rect.Min != (image.Point{}) {
		return nil, fmt.Errorf("jpeg: cannot encode a %v gray image (sides 1..65535 from 0,0)", g.Rect)
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("jpeg: quality %d not in 1..100", quality)
	}
	e := newGrayEncoder(quality)
	mcuRows, mcuCols := (height+7)/8, (width+7)/8
	strips = min(max(strips, 1), mcuRows)
	rowsPer := (mcuRows + strips - 1) / strips
	// A restart interval counts MCUs and must fit 16 bits.
	rowsPer = min(rowsPer, 65535/mcuCols)
	strips = (mcuRows + rowsPer - 1) / rowsPer

	// The headers go to a small buffer first: out is sized once the
	// strips' lengths are known.
	out := make([]byte, 0, 512)
	out = append(out, 0xFF, 0xD8) // SOI
	// Both of image/jpeg's tables, though only table 0 is used, so that
	// the output stays byte-identical to it.
	out = append(out, 0xFF, 0xDB, 0, 2+2*(1+blockSize), 0)
	out = append(out, e.quant[:]...)
	out = append(out, 1)
	out = append(out, e.chromaQuant[:]...)
	out = append(out, 0xFF, 0xC0, 0, 11, 8, byte(height>>8), byte(height), byte(width>>8), byte(width), 1, 1, 0x11, 0)
	dhtLen := 2 + 2*17 + len(lumaDCValue) + len(lumaACValue)
	out = append(out, 0xFF, 0xC4, byte(dhtLen>>8), byte(dhtLen), 0x00)
	out = append(out, lumaDCCount[:]...)
	out = append(out, lumaDCValue...)
	out = append(out, 0x10)
	out = append(out, lumaACCount[:]...)
	out = append(out, lumaACValue...)
	if strips > 1 {
		ri := rowsPer * mcuCols
		out = append(out, 0xFF, 0xDD, 0, 4, byte(ri>>8), byte(ri))
	}
	out = append(out, 0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0) // SOS

	if strips == 1 {
		body := make([]byte, 0, width*height/3+1024)
		body = append(body, out...)
		return append(e.encodeStrip(g, 0, mcuRows, body), 0xFF, 0xD9), nil // EOI
	}
	// Each strip goes to a recycled buffer (their bytes are all appended,
	// never read before), then to an output of exactly the file's size: an
	// estimate sized for the worst case was allocated and zeroed for
	// nothing (691 KB at 1080p, several times the course's output).
	parts := make([][]byte, strips)
	run(strips, func(s int) {
		parts[s] = e.encodeStrip(g, s*rowsPer, (s+1)*rowsPer, stripBuf(width*rowsPer*8/3+64))
	})
	n := len(out) + 2*strips // RSTs between strips, EOI
	for _, p := range parts {
		n += len(p)
	}
	file := make([]byte, 0, n)
	file = append(file, out...)
	for s, p := range parts {
		if s > 0 {
			file = append(file, 0xFF, 0xD0+byte((s-1)%8))
		}
		file = append(file, p...)
		putStripBuf(p)
	}
	out = file
	return append(out, 0xFF, 0xD9), nil // EOI
}
