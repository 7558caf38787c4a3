package pipeline

import (
	"fmt"
	"math"
)

// stepSize is the size a step produces from a w×h image, matching imaging's
// rules so it can be checked before any pixel is allocated.
func stepSize(st Step, w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return w, h // imaging returns empty images for empty inputs
	}
	switch st.Name {
	case "resize":
		return resizeSize(st.W, st.H, w, h)
	case "fit":
		if w <= st.W && h <= st.H {
			return w, h
		}
		// imaging.Fit truncates, then lets Resize fix a 0 side.
		src := float64(w) / float64(h)
		if src > float64(st.W)/float64(st.H) {
			return resizeSize(st.W, int(float64(st.W)/src), w, h)
		}
		return resizeSize(int(float64(st.H)*src), st.H, w, h)
	case "thumbnail":
		return st.W, st.H
	}
	return w, h
}

// resizeSize is imaging.Resize's rule: a 0 side keeps the aspect ratio,
// rounded, at least 1.
func resizeSize(nw, nh, w, h int) (int, int) {
	if nw == 0 {
		nw = int(math.Max(1, math.Floor(float64(nh)*float64(w)/float64(h)+0.5)))
	}
	if nh == 0 {
		nh = int(math.Max(1, math.Floor(float64(nw)*float64(h)/float64(w)+0.5)))
	}
	return nw, nh
}

// checkSizes refuses a spec whose intermediate or final image would exceed
// maxPixels (e.g. resize:10000x0 on a very tall input), before any work.
func (s Spec) checkSizes(w, h int, maxPixels int64) error {
	for i, st := range s {
		nw, nh := stepSize(st, w, h)
		if nw > 0 && nh > 0 && int64(nw)*int64(nh) > maxPixels {
			return &SpecError{Index: i + 1, Part: st.String(),
				Msg: fmt.Sprintf("would make a %dx%d image from %dx%d, over the limit of %d pixels", nw, nh, w, h, maxPixels)}
		}
		w, h = nw, nh
	}
	return nil
}

// OutputSize is the size of the image the spec makes from a w×h input.
func (s Spec) OutputSize(w, h int) (int, int) {
	for _, st := range s {
		w, h = stepSize(st, w, h)
	}
	return w, h
}
