package pipeline

import "sync"

// Buffer pools for the fast path's intermediates (a 1080p blur would
// otherwise allocate and zero ~12 MB per image). Only buffers the package
// owns go back: never the returned image. Every producer of a plane writes
// all of its bytes, so recycled buffers are not cleared.
var (
	bytePool sync.Pool // *[]uint8
	wordPool sync.Pool // *[]uint64
)

func getBytes(n int) []uint8 {
	if b, ok := bytePool.Get().(*[]uint8); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]uint8, n)
}

func putBytes(b []uint8) { bytePool.Put(&b) }

func getWords(n int) []uint64 {
	if b, ok := wordPool.Get().(*[]uint64); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]uint64, n)
}

func putWords(b []uint64) { wordPool.Put(&b) }
