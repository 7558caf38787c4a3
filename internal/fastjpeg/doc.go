// Package fastjpeg is a JPEG codec for the common cases of an image pipeline,
// exact to image/jpeg and faster than it.
//
// Decode handles baseline (or extended sequential) Huffman JPEGs with one
// component or YCbCr 4:4:4, 4:2:2, 4:4:0 or 4:2:0 and returns exactly what
// image/jpeg returns (same image type, layout and bytes: same IDCT, same
// rounding; FuzzDecode checks this on every input it accepts), but decodes
// the entropy-coded data much faster:
//   - the whole file is in memory, so bits are read from a []byte eight
//     bytes at a time (0xFF stuffing checked per word) into a 64-bit buffer,
//     instead of byte by byte through an io.Reader;
//   - Huffman codes of up to 9 bits are decoded with one table lookup;
//   - dequantisation is folded into coefficient decoding.
//
// Anything else (progressive, CMYK, RGB, Adobe, unusual sampling, several
// scans, restart-marker damage, corrupt data) returns ErrUnsupported and the
// caller falls back to image/jpeg, which keeps its exact error messages and
// its leniency with damaged files.
//
// EncodeGray is a baseline encoder for *image.Gray whose output is
// byte-identical to image/jpeg's when encoded as one piece, about twice as
// fast, and able to encode big images as strips in parallel (see writer.go).
//
// The layout follows image/jpeg: reader.go (markers, scan), huffman.go (the
// decoder's tables and bit reader), idct.go and fdct.go (copied from Go,
// under Go's BSD licence), writer.go (the gray encoder).
package fastjpeg

import "errors"

// ErrUnsupported is Decode's answer for any file it does not decode exactly
// like image/jpeg: decode those with image/jpeg.
var ErrUnsupported = errors.New("jpeg: not handled by the fast decoder")
