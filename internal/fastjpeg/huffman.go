package fastjpeg

import (
	"encoding/binary"
	"sync"
)

// The decoder's Huffman tables and bit reader.

// hufLookBits is the lookahead of the decoding tables: 11 bits decode most
// codes of a q90 photo together with their extra bits in one lookup (9
// bits: 7% more decoding CPU at 1080p). The tables are then 12 KB each,
// so they come from a pool instead of being zeroed in every decoder.
const hufLookBits = 11

var huffPool = sync.Pool{New: func() any { return new(jhuff) }}

// putTables gives the decoder's tables back; it is done with them.
func (d *jdec) putTables() {
	for c := range d.huff {
		for i, h := range d.huff[c] {
			if h != nil {
				huffPool.Put(h)
				d.huff[c][i] = nil
			}
		}
	}
}

type jhuff struct {
	lut [1 << hufLookBits]uint16 // symbol<<8 | length, 0 = longer code
	// fastAC: for AC tables, lookaheads whose code and extra bits both fit
	// in hufLookBits: value<<16 | run<<8 | code length<<4 | code+extra
	// length; 0 = not fast.
	fastAC  [1 << hufLookBits]int32
	vals    [256]uint8
	maxCode [17]int32 // per length 1..16; -1 if none
	valPtr  [17]int32 // index in vals of the first code of that length, minus that code
}

func (d *jdec) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return ErrUnsupported
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 || (d.baseline && th > 1) {
			return ErrUnsupported
		}
		var counts [17]int
		total := 0
		for i := 1; i <= 16; i++ {
			counts[i] = int(seg[i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return ErrUnsupported
		}
		h := d.huff[tc][th]
		if h == nil {
			h = huffPool.Get().(*jhuff)
			d.huff[tc][th] = h
		}
		*h = jhuff{} // every entry a code does not fill must read 0
		copy(h.vals[:], seg[17:17+total])
		seg = seg[17+total:]
		// Canonical codes; an over-full table (which image/jpeg would
		// decode in its own way) is left to image/jpeg.
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			h.valPtr[l] = k - code
			h.maxCode[l] = -1
			if counts[l] > 0 {
				for range counts[l] {
					if code >= 1<<l {
						return ErrUnsupported // over-full
					}
					if l <= hufLookBits {
						shift := hufLookBits - l
						base := int(code) << shift
						for x := range 1 << shift {
							h.lut[base+x] = uint16(h.vals[k])<<8 | uint16(l)
						}
					}
					code++
					k++
				}
				h.maxCode[l] = code - 1
			}
			code <<= 1
		}
		if tc == 1 {
			h.buildFastAC()
		}
	}
	return nil
}

func (h *jhuff) buildFastAC() {
	for look := range h.lut {
		v := h.lut[look]
		l, sym := int(v&0xFF), v>>8
		run, size := int(sym>>4), int(sym&15)
		if l == 0 || size == 0 || l+size > hufLookBits {
			continue
		}
		// The size bits that follow the code inside the lookahead.
		x := int32(look>>(hufLookBits-l-size)) & (1<<size - 1)
		if x < 1<<(size-1) {
			x += -1<<size + 1
		}
		h.fastAC[look] = x<<16 | int32(run)<<8 | int32(l)<<4 | int32(l+size)
	}
}

// refill tops the bit buffer up to at least 57 bits.
func (d *jdec) refill() {
	// Fast path: eight bytes without any 0xFF.
	if d.pos+8 <= len(d.data) && d.fake == 0 {
		w := binary.BigEndian.Uint64(d.data[d.pos:])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - d.n) / 8 // whole bytes that fit
			if k == 8 {
				d.acc = w
			} else {
				d.acc = d.acc<<(8*k) | w>>(64-8*k)
			}
			d.n += 8 * k
			d.pos += int(k)
			return
		}
	}
	for d.n <= 56 {
		var b byte
		if d.fake == 0 && d.pos < len(d.data) {
			b = d.data[d.pos]
			if b == 0xFF {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0x00 {
					d.pos += 2
				} else {
					d.fake += 8 // a marker: the segment ends here
					b = 0
				}
			} else {
				d.pos++
			}
		} else {
			d.fake += 8
		}
		d.acc = d.acc<<8 | uint64(b)
		d.n += 8
	}
}

// decodeSym decodes one Huffman symbol; the caller ensured n >= 16.
func (d *jdec) decodeSym(h *jhuff) (uint8, bool) {
	look := (d.acc >> (d.n - hufLookBits)) & (1<<hufLookBits - 1)
	if v := h.lut[look]; v != 0 {
		d.n -= uint(v & 0xFF)
		return uint8(v >> 8), true
	}
	// Longer codes: extend one bit at a time from the lookup width.
	code := int32(d.acc >> (d.n - hufLookBits) & (1<<hufLookBits - 1))
	for l := hufLookBits + 1; l <= 16; l++ {
		code = code<<1 | int32(d.acc>>(d.n-uint(l))&1)
		if code <= h.maxCode[l] {
			d.n -= uint(l)
			return h.vals[(h.valPtr[l]+code)&255], true
		}
	}
	return 0, false
}

// extend reads s extra bits (s <= 16; the caller ensured n >= s) and
// sign-extends them as in section F.2.2.1.
func (d *jdec) extend(s uint8) int32 {
	if s == 0 {
		return 0
	}
	d.n -= uint(s)
	x := int32(d.acc>>d.n) & (1<<s - 1)
	if x < 1<<(s-1) {
		x += -1<<s + 1
	}
	return x
}
