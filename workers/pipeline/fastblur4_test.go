package pipeline

import (
	"context"
	"math"
	"testing"
)

// The four-lane blur's 8-bit weights against the 14-bit path, on photos
// (grey and RGBA planes, sizes that are not multiples of 4): within a
// fraction of a level on average, a few levels at worst, for every radius
// it takes.
func TestBlur4Precision(t *testing.T) {
	ctx := context.Background()
	src, ok := toPlane(ctx, sampleYCbCr(t, 333, 250, 7))
	if !ok {
		t.Fatal("sample not opaque")
	}
	planes := map[string]plane{"rgba": src, "gray": src.toGray(ctx), "tiny": mustPlane(t, 7, 5)}
	for name, p := range planes {
		for _, sigma := range []float64{0.3, 0.6, 1, 1.5, 2} {
			k := gaussKernel(sigma)
			if len(k)-1 > blur4MaxRadius {
				t.Fatalf("sigma %v: radius %d is not the four-lane path's", sigma, len(k)-1)
			}
			got, want := p.blur4(ctx, k), p.blur14(ctx, k)
			var se float64
			worst := 0
			for i := range want.pix {
				d := int(got.pix[i]) - int(want.pix[i])
				se += float64(d * d)
				worst = max(worst, abs(d))
			}
			db := 10 * math.Log10(255*255/max(se/float64(len(want.pix)), 1e-12))
			t.Logf("%s sigma %v: %.1f dB, worst %d", name, sigma, db, worst)
			if db < 55 || worst > 4 {
				t.Errorf("%s sigma %v: %.1f dB (want ≥ 55), worst difference %d (want ≤ 4)", name, sigma, db, worst)
			}
		}
	}
}

// Weights summing to 256 keep a flat area exactly flat, whatever the level.
func TestBlur4KeepsFlatAreas(t *testing.T) {
	for _, v := range []uint8{0, 1, 127, 254, 255} {
		p := newPlane(37, 23, 1)
		for i := range p.pix {
			p.pix[i] = v
		}
		out := p.blur4(context.Background(), gaussKernel(2))
		for i, got := range out.pix {
			if got != v {
				t.Fatalf("level %d: byte %d became %d", v, i, got)
			}
		}
	}
}

func mustPlane(t *testing.T, w, h int) plane {
	t.Helper()
	p, ok := toPlane(context.Background(), mustSample(t, w, h, 3))
	if !ok {
		t.Fatal("sample not opaque")
	}
	return p
}
