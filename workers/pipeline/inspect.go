package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/imgq/imgq/internal/fastjpeg"
)

// ErrBadInput marks an input file that can never be processed (wrong type,
// too big, corrupt): a permanent failure. Every Inspect and Decode error
// wraps it.
var ErrBadInput = errors.New("bad input image")

// Default limits for untrusted inputs.
const (
	DefaultMaxBytes  = 50 << 20   // 50 MiB
	DefaultMaxPixels = 50_000_000 // 50 megapixels
)

// Limits bound what an input may cost. Zero (or negative) fields mean the
// defaults, so Limits{} is safe.
type Limits struct {
	MaxBytes  int64
	MaxPixels int64
}

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits { return Limits{MaxBytes: DefaultMaxBytes, MaxPixels: DefaultMaxPixels} }

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	return l
}

// Format is an image file format.
type Format string

const (
	FormatAuto Format = "" // output only: PNG for PNG inputs, JPEG otherwise
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
)

// Ext is the file extension, with the dot.
func (f Format) Ext() string {
	if f == FormatPNG {
		return ".png"
	}
	return ".jpg"
}

// Info is what Inspect learns from the header alone. Width and Height are the
// displayed ones: a JPEG's EXIF orientation 5..8 swaps them (orient.go).
type Info struct {
	Format        Format
	Width, Height int
	Bytes         int
	Orientation   int // EXIF orientation 1..8 (1 for PNG and for JPEGs without one)
}

var (
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
)

// Inspect checks an untrusted input cheaply, in order: not empty, not over
// lim.MaxBytes, magic bytes of JPEG or PNG (nothing else is accepted), then
// the header's dimensions against lim.MaxPixels. Nothing is decoded or
// allocated in proportion to the claimed size, so a PNG header claiming
// 100000x100000 is refused at no cost. Errors wrap ErrBadInput.
func Inspect(data []byte, lim Limits) (Info, error) {
	lim = lim.withDefaults()
	info := Info{Bytes: len(data), Orientation: 1}
	if len(data) == 0 {
		return info, badInput("empty file")
	}
	if int64(len(data)) > lim.MaxBytes {
		return info, badInput("file is %s, over the limit of %s", humanBytes(int64(len(data))), humanBytes(lim.MaxBytes))
	}
	var (
		cfg image.Config
		err error
	)
	switch {
	case bytes.HasPrefix(data, magicJPEG):
		info.Format = FormatJPEG
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
		info.Orientation = jpegOrientation(data)
	case bytes.HasPrefix(data, magicPNG):
		info.Format = FormatPNG
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	default:
		return info, badInput("%s: only JPEG and PNG are accepted", sniff(data))
	}
	if err != nil {
		return info, badInput("corrupt %s header: %v", info.Format, err)
	}
	info.Width, info.Height = cfg.Width, cfg.Height
	if swapsAxes(info.Orientation) {
		info.Width, info.Height = cfg.Height, cfg.Width
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return info, badInput("%s claims an empty %dx%d image", info.Format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return info, badInput("%s is %dx%d (%.1f megapixels), over the limit of %.1f megapixels",
			info.Format, cfg.Width, cfg.Height, float64(px)/1e6, float64(lim.MaxPixels)/1e6)
	}
	return info, nil
}

// Decode inspects data (see Inspect) and only then decodes it. A JPEG
// decodes to *image.YCbCr or *image.Gray (which the fast path uses as is), a
// PNG to whatever its colour type gives. A JPEG with an EXIF orientation other
// than 1 is turned upright (orient.go), to an *image.Gray or *image.NRGBA.
func Decode(data []byte, lim Limits) (image.Image, Info, error) {
	img, info, _, err := decode(context.Background(), data, lim, nil)
	return img, info, err
}

// decode is Decode using ctx's thread budget (see Cores) for the JPEG IDCTs.
// If early is not nil and the file is an upright JPEG, early(info) may give
// a function to run on each band of rows as soon as it is decoded; fast
// says the fast decoder took the file, so every row went through it.
func decode(ctx context.Context, data []byte, lim Limits, early func(Info) fastjpeg.BandFunc) (img image.Image, info Info, fast bool, err error) {
	info, err = Inspect(data, lim)
	if err != nil {
		return nil, info, false, err
	}
	if info.Format == FormatJPEG {
		var onBand fastjpeg.BandFunc
		if early != nil && info.Orientation == 1 {
			onBand = early(info)
		}
		img, fast, err = decodeJPEG(ctx, data, info, onBand)
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if cerr := ctx.Err(); err != nil && cerr != nil && errors.Is(err, cerr) {
		return nil, info, false, err // cancelled mid-decode: not the input's fault
	}
	if err != nil {
		return nil, info, false, badInput("decode %s %dx%d: %v", info.Format, info.Width, info.Height, err)
	}
	upright := orient(img, info.Orientation)
	if fast && upright != img {
		fastjpeg.Recycle(img) // orient copied it; Process recycles upright
	}
	return upright, info, fast, nil
}

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// sniff names common formats we refuse, so the error says what the file is.
func sniff(data []byte) string {
	has := func(s string) bool { return bytes.HasPrefix(data, []byte(s)) }
	switch {
	case has("GIF87a"), has("GIF89a"):
		return "GIF image"
	case has("BM"):
		return "BMP image"
	case has("II*\x00"), has("MM\x00*"):
		return "TIFF image"
	case has("RIFF") && len(data) >= 12 && string(data[8:12]) == "WEBP":
		return "WebP image"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return "HEIF/AVIF/MP4 file"
	case has("%PDF"):
		return "PDF document"
	case has("\xFF\xD8"):
		return "truncated JPEG"
	case has("\x89PNG"):
		return "truncated PNG"
	}
	n := min(len(data), 8)
	return fmt.Sprintf("unrecognised file type (starts with % x)", data[:n])
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeHelpersMax: the Huffman decoding, which stays serial, takes about
// 1.5× as long as the IDCTs (profiled at 1080p), so a second helper would
// mostly wait.
const decodeHelpersMax = 1

// decodeJPEG uses the fast decoder (internal/fastjpeg) for the files it
// handles and image/jpeg for the rest. Both give identical images.
func decodeJPEG(ctx context.Context, data []byte, info Info, onBand fastjpeg.BandFunc) (image.Image, bool, error) {
	// The IDCTs of MCU rows (and onBand) run on a helper while the caller
	// decodes the Huffman data.
	b := budgetOf(ctx)
	k := b.helpers(min(info.Height/16-1, decodeHelpersMax))
	img, err := fastjpeg.DecodeBands(data, k, onBand, func() bool { return ctx.Err() != nil })
	b.cores.giveBack(k)
	if err == nil {
		return img, true, nil
	}
	if errors.Is(err, fastjpeg.ErrStopped) {
		return nil, false, ctx.Err()
	}
	img, err = jpeg.Decode(bytes.NewReader(data))
	return img, false, err
}
