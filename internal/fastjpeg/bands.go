package fastjpeg

import (
	"errors"
	"image"
	"sync"
	"sync/atomic"
)

// The parallel decoder: Huffman decoding is serial by nature (each code's
// position depends on the previous one), but the IDCT and the stores of an
// MCU row depend only on its coefficients. So the calling goroutine decodes
// the entropy-coded data one MCU row (a band) at a time into a coefficient
// buffer and hands the band to helper goroutines, which run the IDCTs and
// write the pixels while it decodes the next bands. The image is the same,
// byte for byte, as the serial decoder's (tested).

// DecodeWith is Decode with helpers goroutines doing the IDCTs (0: Decode).
// The helpers have all ended when it returns.
func DecodeWith(data []byte, helpers int) (img image.Image, err error) {
	return DecodeBands(data, helpers, nil, nil)
}

// BandFunc is told that rows y0..y1-1 of img (the image Decode will return)
// are final, so a caller can start on them while the rest decodes. Calls
// come in any order, from any of the decoder's goroutines, never twice for
// a row; when the decoder gives up (ErrUnsupported) some rows were never
// announced and the caller must drop what it made of the others.
type BandFunc func(img image.Image, y0, y1 int)

// ErrStopped is DecodeBands' answer when its stop function said to stop.
var ErrStopped = errors.New("jpeg: decode stopped")

// DecodeBands is DecodeWith calling onBand (if not nil) for each MCU row as
// soon as its pixels are stored, on the goroutine that stored them, and
// stop (if not nil) before each MCU row: when it says true, the decode ends
// with ErrStopped (a cancelled task need not wait for a 50-megapixel decode).
func DecodeBands(data []byte, helpers int, onBand BandFunc, stop func() bool) (img image.Image, err error) {
	defer func() {
		if recover() != nil {
			img, err = nil, ErrUnsupported
		}
	}()
	d := &jdec{data: data, helpers: max(helpers, 0), onBand: onBand, stop: stop}
	defer d.putTables()
	return d.decode()
}

// decodeWith is DecodeWith without the recover, for the tests.
func decodeWith(data []byte, helpers int) (image.Image, error) {
	d := &jdec{data: data, helpers: max(helpers, 0)}
	defer d.putTables()
	return d.decode()
}

// bandDone announces MCU row my to d.onBand.
func (d *jdec) bandDone(my int) {
	if d.onBand == nil {
		return
	}
	rows := 8 * d.comp[0].v
	y0 := my * rows
	if y0 >= d.height {
		return
	}
	var img image.Image = d.img3
	if d.img1 != nil {
		img = d.img1
	}
	d.onBand(img, y0, min(y0+rows, d.height))
}

// band is one MCU row's coefficients, in scan order: MCU by MCU, component
// by component, block by block; ac[i] says block i has AC coefficients.
type band struct {
	my     int
	blocks []block
	ac     []bool
}

var bandPool sync.Pool // *band

func getBand(n int) *band {
	if b, ok := bandPool.Get().(*band); ok && cap(b.blocks) >= n {
		b.blocks, b.ac = b.blocks[:n], b.ac[:n]
		return b
	}
	return &band{blocks: make([]block, n), ac: make([]bool, n)}
}

// sosBands is sos's MCU loop with the IDCT on d.helpers goroutines.
func (d *jdec) sosBands(td, ta [3]uint8, mxx, myy int, planes [3][]uint8, strides [3]int) error {
	per := 0
	for ci := range d.nComp {
		per += d.comp[ci].h * d.comp[ci].v
	}
	// Two bands in flight per helper keep them busy while the decoder
	// fills the next; more would only leave the caches.
	nbuf := 2*d.helpers + 1
	free := make(chan *band, nbuf)
	for range nbuf {
		free <- getBand(mxx * per)
	}
	work := make(chan *band, nbuf)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range d.helpers {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					failed.Store(true)
					for b := range work { // keep the decoder from waiting on free
						free <- b
					}
				}
			}()
			for b := range work {
				d.storeBand(b, mxx, planes, strides)
				d.bandDone(b.my)
				free <- b
			}
		})
	}
	defer func() {
		close(work)
		wg.Wait()
		// Every band is back unless the decoder panicked holding one.
		for len(free) > 0 {
			bandPool.Put(<-free)
		}
	}()

	var dc [3]int32
	mcu, rst := 0, byte(0xD0)
	for my := range myy {
		if d.stop != nil && d.stop() {
			return ErrStopped
		}
		b := <-free
		b.my = my
		i := 0
		for range mxx {
			for ci := range d.nComp {
				c := &d.comp[ci]
				q := &d.quant[c.tq]
				dcT, acT := d.huff[0][td[ci]], d.huff[1][ta[ci]]
				for range c.h * c.v {
					ac, ok := d.decodeBlock(&b.blocks[i], dcT, acT, q, &dc[ci])
					if !ok {
						return ErrUnsupported
					}
					b.ac[i] = ac
					i++
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
		work <- b
		if failed.Load() {
			return ErrUnsupported
		}
	}
	return nil
}

// storeBand turns a band's coefficients into pixels, as sos does block by
// block.
func (d *jdec) storeBand(b *band, mxx int, planes [3][]uint8, strides [3]int) {
	i := 0
	for mx := range mxx {
		for ci := range d.nComp {
			c := &d.comp[ci]
			for j := range c.h * c.v {
				bx, by := c.h*mx+j%c.h, c.v*b.my+j/c.h
				dst := planes[ci][8*(by*strides[ci]+bx):]
				putBlock(dst, strides[ci], &b.blocks[i], b.ac[i])
				i++
			}
		}
	}
}

// putBlock writes a decoded block's pixels. Smooth areas: a DC-only block
// is flat, and the IDCT gives (dc+4)>>3 everywhere (TestDCOnlyBlocks).
func putBlock(dst []uint8, stride int, b *block, ac bool) {
	if !ac && b[0] >= -dcOnlyMax && b[0] <= dcOnlyMax {
		fillBlock(dst, stride, clampShift(b[0]))
		return
	}
	idct(b)
	storeBlock(dst, stride, b)
}
