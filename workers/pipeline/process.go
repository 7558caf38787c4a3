package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"github.com/imgq/imgq/internal/fastjpeg"
)

// DefaultQuality is the JPEG quality used when Options.Quality is 0.
const DefaultQuality = 90

// Options for Process. The zero value is the course setup: default limits,
// JPEG quality 90, JPEG output unless the input was PNG.
type Options struct {
	Limits  Limits
	Format  Format // FormatAuto: PNG for PNG inputs (keeps them lossless), JPEG otherwise
	Quality int    // JPEG quality 1..100; 0 means DefaultQuality
	// Cores is the thread budget shared with the other images the process
	// works on at once (see Cores); nil: one budget of GOMAXPROCS threads
	// for the whole process.
	Cores *Cores
	// Threads caps the threads this image may use (0: what Cores lends).
	// 1 runs it on the calling goroutine alone.
	Threads int
}

// Result describes one processed image.
type Result struct {
	InFormat, OutFormat Format
	InWidth, InHeight   int
	Width, Height       int
	InBytes, Bytes      int
	Duration            time.Duration
}

// Process decodes in (after Inspect's checks), applies spec with the fast
// path and encodes the result. Grey results are encoded as 1-channel images.
// Errors wrap ErrBadInput (input), ErrBadSpec (spec too big for this input)
// or are ctx's error; anything else is an internal failure.
func Process(ctx context.Context, in []byte, spec Spec, opts Options) ([]byte, Result, error) {
	start := time.Now()
	lim := opts.Limits.withDefaults()
	res := Result{InBytes: len(in)}
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	cores := opts.Cores
	if cores == nil {
		cores = processCores
	}
	cores.enter()
	defer cores.leave()
	ctx = withBudget(ctx, budget{cores: cores, threads: max(opts.Threads, 0)})
	steps := plan(spec)
	var earlyFn func(Info) fastjpeg.BandFunc
	early := newEarlyStart(ctx, steps)
	if early != nil {
		earlyFn = early.bandFunc
	}
	img, info, fast, err := decode(ctx, in, lim, earlyFn)
	res.InFormat, res.InWidth, res.InHeight = info.Format, info.Width, info.Height
	var out image.Image
	switch {
	case err != nil:
	case early != nil && early.done(fast):
		// The start was made during the decode (early.go).
		if err = spec.checkSizes(info.Width, info.Height, lim.MaxPixels); err == nil {
			out, err = applyFrom(ctx, early.plane(ctx), steps[early.steps():])
		} else {
			early.release()
		}
	default:
		if early != nil {
			early.release()
		}
		out, err = apply(ctx, img, spec, lim.MaxPixels)
	}
	if fast {
		// apply and applyFrom copy what they need of the decoded image
		// (never return it or keep a slice of it) and their goroutines
		// have ended: its planes can go to the next decode.
		fastjpeg.Recycle(img)
	}
	if err != nil {
		return nil, res, err
	}
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	res.OutFormat = opts.Format
	if res.OutFormat == FormatAuto {
		res.OutFormat = FormatJPEG
		if info.Format == FormatPNG {
			res.OutFormat = FormatPNG
		}
	}
	data, err := encode(ctx, out, res.OutFormat, opts.Quality)
	b := out.Bounds()
	// out was made by apply (never aliases in or a caller's image) and
	// is no longer needed: recycle its pixels for the next task.
	switch m := out.(type) {
	case *image.Gray:
		putBytes(m.Pix)
	case *image.NRGBA:
		putBytes(m.Pix)
	}
	if err != nil {
		return nil, res, err
	}
	res.Width, res.Height, res.Bytes = b.Dx(), b.Dy(), len(data)
	res.Duration = time.Since(start)
	return data, res, nil
}

// Encode writes img as JPEG (quality 0 means DefaultQuality) or PNG.
func Encode(img image.Image, f Format, quality int) ([]byte, error) {
	return encode(context.Background(), img, f, quality)
}

// stripRows is about how many rows of a grey JPEG one strip holds: strips
// are separated by restart markers and encoded on the threads the budget
// lends. The count depends on the image only, so the output bytes do not
// depend on the load.
const stripRows = 128

// encode is Encode using ctx's thread budget (see Cores).
func encode(ctx context.Context, img image.Image, f Format, quality int) ([]byte, error) {
	var buf bytes.Buffer
	b := img.Bounds()
	switch f {
	case FormatPNG:
		// BestSpeed: outputs are working files; zlib's default level costs
		// several times more CPU for ~10% smaller files.
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		buf.Grow(b.Dx() * b.Dy() / 4)
		if err := enc.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("encode png: %w", err)
		}
	case FormatJPEG, FormatAuto:
		if quality == 0 {
			quality = DefaultQuality
		}
		if quality < 1 || quality > 100 {
			return nil, fmt.Errorf("encode jpeg: quality %d not in 1..100", quality)
		}
		if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) && b.Dx() > 0 && b.Dy() > 0 {
			strips := 1
			if b.Dx()*b.Dy() >= 1<<18 {
				strips = max(b.Dy()/stripRows, 2)
			}
			data, err := fastjpeg.EncodeGrayWith(g, quality, strips, func(n int, task func(i int)) {
				parallelTasks(ctx, n, func(i int) {
					if ctx.Err() == nil { // a cancelled task skips the strips left
						task(i)
					}
				})
			})
			if err == nil {
				err = ctx.Err() // skipped strips: the data is incomplete
			}
			if err != nil {
				return nil, err
			}
			return data, nil
		}
		// The JPEG encoder has fast paths for *image.Gray, *image.RGBA and
		// *image.YCbCr only; an opaque NRGBA has the same bytes as an RGBA.
		if m, ok := img.(*image.NRGBA); ok && m.Opaque() {
			img = &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
		// Grown here, not for the grey path above, which builds its own
		// bytes: a buffer grown for it was 77 KB (640×480) to 518 KB
		// (1080p) allocated and zeroed per image for nothing.
		buf.Grow(b.Dx() * b.Dy() / 4)
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, fmt.Errorf("encode jpeg: %w", err)
		}
	default:
		return nil, fmt.Errorf("encode: unknown format %q", f)
	}
	return buf.Bytes(), nil
}
