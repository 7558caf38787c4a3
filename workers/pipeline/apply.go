package pipeline

import (
	"context"
	"image"

	"github.com/disintegration/imaging"
)

// plan rewrites a spec into an equivalent one that is cheaper to run:
//
//   - no-op steps (blur:0, sharpen:0, brightness:1, contrast:1) go;
//   - grayscale moves ahead of blur and invert steps just before it. Both are
//     linear with weights summing to 1 and never clamp, so they commute with
//     the (linear) luma exactly, up to 8-bit rounding; blurring 1 channel
//     instead of 4 is the main win of the course pipeline;
//   - grayscale after grayscale goes (luma of a grey pixel is itself).
//
// Steps that clamp (brightness, contrast, sharpen, edges) or resample are
// never moved across grayscale: gray(clamp(1.8·RGB)) is not clamp(1.8·gray).
func plan(spec Spec) Spec {
	out := make(Spec, 0, len(spec))
	gray := false
	for _, st := range spec {
		switch {
		case (st.Name == "blur" || st.Name == "sharpen") && st.Value == 0,
			(st.Name == "brightness" || st.Name == "contrast") && st.Value == 1:
			continue
		case st.Name == "grayscale":
			if gray {
				continue
			}
			gray = true
			i := len(out)
			for i > 0 && (out[i-1].Name == "blur" || out[i-1].Name == "invert") {
				i--
			}
			out = append(out, Step{})
			copy(out[i+1:], out[i:])
			out[i] = st
			continue
		}
		out = append(out, st)
	}
	return out
}

// Apply runs spec on img with the fast path: the planner above, 1-channel
// work after grayscale, fused point ops and LUTs, and the parallel
// fixed-point blur. Results match Reference to well over 40 dB PSNR (see
// TestFastMatchesReference). ctx is checked between steps. Images with
// transparency are handed to Reference unchanged, as are the resampling
// steps (imaging's Lanczos) within a fast run.
//
// The result is an *image.Gray when the output is grey (R=G=B), else an
// *image.NRGBA. Errors: ctx's, or a SpecError (wrapping ErrBadSpec) when a
// step would exceed DefaultMaxPixels.
func Apply(ctx context.Context, img image.Image, spec Spec) (image.Image, error) {
	return apply(ctx, img, spec, DefaultMaxPixels)
}

func apply(ctx context.Context, img image.Image, spec Spec, maxPixels int64) (image.Image, error) {
	b := img.Bounds()
	if err := spec.checkSizes(b.Dx(), b.Dy(), maxPixels); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	steps := plan(spec)

	var p plane
	ok := false
	// Fused start: point ops (brightness, invert) then grayscale become one
	// pass from the decoded image to a grey plane.
	if n, lut := leadingPointOps(steps); n < len(steps) && steps[n].Name == "grayscale" {
		if n == 0 {
			if m, isYCC := img.(*image.YCbCr); isYCC {
				// The JPEG's luma plane is already the grey image (up to
				// rounding of out-of-gamut colours): no colour maths at all.
				p, ok = lumaPlane(m), true
			}
		}
		if !ok {
			p, ok = grayWithLUT(ctx, img, &lut)
		}
		if ok {
			steps = steps[n+1:]
		}
	}
	if !ok {
		if p, ok = toPlane(ctx, img); !ok {
			return applyReference(ctx, img, spec)
		}
	}
	return applyFrom(ctx, p, steps)
}

// applyFrom runs steps on p, the fast path's working plane, and returns the
// result as an image.
func applyFrom(ctx context.Context, p plane, steps Spec) (image.Image, error) {
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q := p.step(ctx, st)
		if len(q.pix) == 0 || len(p.pix) == 0 || &q.pix[0] != &p.pix[0] {
			putBytes(p.pix) // p is ours (never the caller's image) and now garbage
		}
		p = q
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the last step may have stopped half-way
	}
	return p.image(), nil
}

// leadingPointOps composes the brightness/invert steps at the start of steps
// into one LUT and says how many there were.
func leadingPointOps(steps Spec) (int, [256]uint8) {
	lut := identityLUT()
	n := 0
	for ; n < len(steps); n++ {
		var l [256]uint8
		switch steps[n].Name {
		case "brightness":
			l = brightnessLUT(steps[n].Value)
		case "invert":
			l = invertLUT()
		default:
			return n, lut
		}
		lut = compose(&lut, &l)
	}
	return n, lut
}

func lumaPlane(m *image.YCbCr) plane {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	p := newPlane(w, h, 1)
	for y := 0; y < h; y++ {
		copy(p.row(y), m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y):])
	}
	return p
}

func (p plane) step(ctx context.Context, st Step) plane {
	switch st.Name {
	case "brightness":
		lut := brightnessLUT(st.Value)
		p.applyLUT(ctx, &lut)
	case "contrast":
		lut := contrastLUT(st.Value, p.meanLuma(ctx))
		p.applyLUT(ctx, &lut)
	case "invert":
		lut := invertLUT()
		p.applyLUT(ctx, &lut)
	case "grayscale":
		return p.toGray(ctx)
	case "blur":
		return p.blur(ctx, st.Value)
	case "sharpen":
		return p.sharpen(ctx, st.Value)
	case "edges":
		return p.edges(ctx)
	case "resize":
		nw, nh := resizeSize(st.W, st.H, p.w, p.h)
		q, _ := toPlane(ctx, resizeStrips(ctx, p.image(), nw, nh))
		if p.c == 1 {
			q = q.toGray(ctx)
		}
		return q
	case "fit", "thumbnail":
		// Never bigger than the image or the box: cheaper than resize's
		// upscaling, so these stay whole imaging calls.
		out := referenceStep(imaging.Clone(p.image()), st)
		q, _ := toPlane(ctx, out)
		if p.c == 1 {
			q = q.toGray(ctx)
		}
		return q
	}
	return p
}

// applyReference is Reference with ctx checks, for images the fast path
// does not take.
func applyReference(ctx context.Context, img image.Image, spec Spec) (image.Image, error) {
	out := imaging.Clone(img)
	for _, st := range spec {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = referenceStep(out, st)
	}
	return out, nil
}

// stripPixels is about how many output pixels one resizeStrips call makes
// between two looks at ctx (some 10 ms on one core).
const stripPixels = 1 << 16

// resizeStrips is imaging.Resize(img, nw, nh, imaging.Lanczos), byte for
// byte, cut into strips so that a cancelled task does not wait for a whole
// resize (resize:7000x7000 takes seconds): imaging resamples horizontally,
// each row on its own, then vertically, each column on its own, so the
// horizontal pass can run on bands of rows and the vertical one on bands of
// columns. ctx is checked between strips; a cancelled resize returns an
// unfinished image, which apply drops.
func resizeStrips(ctx context.Context, img image.Image, nw, nh int) *image.NRGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 || (nw == sw && nh == sh) {
		return imaging.Resize(img, nw, nh, imaging.Lanczos)
	}
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if nw != sw {
		mid := image.NewNRGBA(image.Rect(0, 0, nw, sh))
		band := max(1, stripPixels/nw)
		for y := 0; y < sh; y += band {
			if ctx.Err() != nil {
				return mid
			}
			y1 := min(y+band, sh)
			part := imaging.Resize(sub.SubImage(image.Rect(b.Min.X, b.Min.Y+y, b.Max.X, b.Min.Y+y1)), nw, y1-y, imaging.Lanczos)
			copy(mid.Pix[y*mid.Stride:], part.Pix)
		}
		if nh == sh {
			return mid
		}
		sub, b = mid, mid.Rect
	}
	out := image.NewNRGBA(image.Rect(0, 0, nw, nh))
	band := max(1, stripPixels/nh)
	for x := 0; x < nw; x += band {
		if ctx.Err() != nil {
			return out
		}
		x1 := min(x+band, nw)
		part := imaging.Resize(sub.SubImage(image.Rect(b.Min.X+x, b.Min.Y, b.Min.X+x1, b.Max.Y)), x1-x, nh, imaging.Lanczos)
		for y := 0; y < nh; y++ {
			copy(out.Pix[y*out.Stride+x*4:y*out.Stride+x1*4], part.Pix[y*part.Stride:])
		}
	}
	return out
}
