package pipeline

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Sample draws a deterministic test picture (same w, h and seed give the
// same pixels): a colour gradient sky, a sun, hills, a striped and a
// checkered block with hard edges, and fine noise, so every filter (blur,
// edges, contrast...) has something visible to act on. Sides must be in
// 1..MaxSide and the area within DefaultMaxPixels.
func Sample(w, h int, seed int64) (*image.RGBA, error) {
	if w < 1 || h < 1 || w > MaxSide || h > MaxSide || int64(w)*int64(h) > DefaultMaxPixels {
		return nil, fmt.Errorf("sample size %dx%d: sides must be 1..%d and at most %d pixels", w, h, MaxSide, DefaultMaxPixels)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x696d6771))
	hue := rng.Float64()
	sunX, sunY := (0.2+0.6*rng.Float64())*float64(w), (0.15+0.2*rng.Float64())*float64(h)
	sunR := (0.08 + 0.06*rng.Float64()) * float64(min(w, h))
	phase1, phase2 := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
	bx0, by0 := int(0.08*float64(w)), int(0.55*float64(h))
	bx1, by1 := bx0+max(1, w/5), by0+max(1, h/4)
	cx0, cx1 := w-bx1, w-bx0

	sky0 := hsv(hue, 0.55, 0.95)
	sky1 := hsv(hue+0.1, 0.8, 0.45)
	hill := hsv(hue+0.35, 0.6, 0.55)
	far := hsv(hue+0.45, 0.4, 0.7)
	sun := hsv(hue+0.55, 0.7, 1)
	stripeA, stripeB := hsv(hue+0.2, 0.9, 0.9), hsv(hue+0.7, 0.9, 0.3)

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	noise := rng.Uint64()
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			c := mix(sky0, sky1, fy*0.8+fx*0.2)
			if dx, dy := float64(x)-sunX, float64(y)-sunY; dx*dx+dy*dy < sunR*sunR {
				c = sun
			}
			if fy > 0.55+0.08*math.Sin(fx*5+phase2) {
				c = far
			}
			if fy > 0.7+0.1*math.Sin(fx*9+phase1) {
				c = mix(hill, [3]float64{}, (fy-0.7)*1.5)
			}
			if x >= bx0 && x < bx1 && y >= by0 && y < by1 && (x/max(1, w/80))%2 == 0 {
				c = stripeA
			}
			if x >= cx0 && x < cx1 && y >= by0 && y < by1 {
				if ((x-cx0)/max(1, w/60)+(y-by0)/max(1, w/60))%2 == 0 {
					c = stripeB
				} else {
					c = stripeA
				}
			}
			// xorshift noise: cheap, deterministic, ±12 levels of grain.
			noise ^= noise << 13
			noise ^= noise >> 7
			noise ^= noise << 17
			n := float64(int(noise&31)-16) * 0.75
			p := row[x*4 : x*4+4 : x*4+4]
			p[0], p[1], p[2], p[3] = clamp8(c[0]+n), clamp8(c[1]+n), clamp8(c[2]+n), 255
		}
	}
	return img, nil
}

// SampleJPEG is Sample encoded as a JPEG (quality 0 means DefaultQuality).
func SampleJPEG(w, h int, seed int64, quality int) ([]byte, error) {
	img, err := Sample(w, h, seed)
	if err != nil {
		return nil, err
	}
	return Encode(img, FormatJPEG, quality)
}

func mix(a, b [3]float64, t float64) [3]float64 {
	t = min(max(t, 0), 1)
	return [3]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// hsv gives 0..255 RGB for a hue in turns (wrapping) and s, v in 0..1.
func hsv(h, s, v float64) [3]float64 {
	h = (h - math.Floor(h)) * 6
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch i % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return [3]float64{r * 255, g * 255, b * 255}
}
