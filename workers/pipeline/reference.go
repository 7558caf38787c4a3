package pipeline

import (
	"image"

	"github.com/disintegration/imaging"
)

// laplacian is Pillow's FIND_EDGES kernel.
var laplacian = [9]float64{-1, -1, -1, -1, 8, -1, -1, -1, -1}

// Reference applies spec the straightforward way: each filter in spec order
// with imaging on NRGBA images. It is the yardstick for Apply's fast path
// (tests require ≥ 40 dB PSNR between them) and for benchmarks elsewhere.
// It refuses specs whose images would exceed DefaultMaxPixels.
func Reference(img image.Image, spec Spec) (image.Image, error) {
	b := img.Bounds()
	if err := spec.checkSizes(b.Dx(), b.Dy(), DefaultMaxPixels); err != nil {
		return nil, err
	}
	out := imaging.Clone(img)
	for _, st := range spec {
		out = referenceStep(out, st)
	}
	return out, nil
}

func referenceStep(img *image.NRGBA, st Step) *image.NRGBA {
	switch st.Name {
	case "brightness":
		lut := brightnessLUT(st.Value)
		return mapRGB(img, &lut)
	case "contrast":
		lut := contrastLUT(st.Value, meanLuma(img))
		return mapRGB(img, &lut)
	case "blur":
		return imaging.Blur(img, st.Value)
	case "sharpen":
		return imaging.Sharpen(img, st.Value)
	case "grayscale":
		return imaging.Grayscale(img)
	case "edges":
		return imaging.Convolve3x3(img, laplacian, nil)
	case "invert":
		return imaging.Invert(img)
	case "resize":
		return imaging.Resize(img, st.W, st.H, imaging.Lanczos)
	case "fit":
		return imaging.Fit(img, st.W, st.H, imaging.Lanczos)
	case "thumbnail":
		return imaging.Thumbnail(img, st.W, st.H, imaging.Lanczos)
	}
	return img
}

// imaging.AdjustFunc would do, but it works through color.NRGBA per pixel;
// a LUT on the bytes is the same result and much cheaper.
func mapRGB(img *image.NRGBA, lut *[256]uint8) *image.NRGBA {
	out := image.NewNRGBA(img.Rect)
	for y := 0; y < img.Rect.Dy(); y++ {
		src := img.Pix[y*img.Stride : y*img.Stride+img.Rect.Dx()*4]
		dst := out.Pix[y*out.Stride : y*out.Stride+len(src)]
		for i := 0; i+3 < len(src); i += 4 {
			dst[i] = lut[src[i]]
			dst[i+1] = lut[src[i+1]]
			dst[i+2] = lut[src[i+2]]
			dst[i+3] = src[i+3]
		}
	}
	return out
}

// meanLuma is the rounded mean of the grayscale image, which Pillow's
// ImageEnhance.Contrast uses as its pivot.
func meanLuma(img *image.NRGBA) int {
	var sum, n uint64
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+img.Rect.Dx()*4]
		for i := 0; i+3 < len(row); i += 4 {
			sum += uint64(luma(row[i], row[i+1], row[i+2]))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return int((sum + n/2) / n)
}
