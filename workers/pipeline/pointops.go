package pipeline

// Point operations are done through 256-entry lookup tables: one table load
// per channel instead of float maths per pixel, and chains of point ops
// compose into a single table.

// clamp8 rounds to nearest and clamps to 0..255, like imaging does.
func clamp8(x float64) uint8 {
	v := int64(x + 0.5)
	if v > 255 {
		return 255
	}
	if v > 0 {
		return uint8(v)
	}
	return 0
}

func brightnessLUT(f float64) (lut [256]uint8) {
	for i := range lut {
		lut[i] = clamp8(float64(i) * f)
	}
	return lut
}

// contrastLUT pivots on the image's mean grey, as Pillow does.
func contrastLUT(f float64, mean int) (lut [256]uint8) {
	m := float64(mean)
	for i := range lut {
		lut[i] = clamp8(m + f*(float64(i)-m))
	}
	return lut
}

func invertLUT() (lut [256]uint8) {
	for i := range lut {
		lut[i] = uint8(255 - i)
	}
	return lut
}

func identityLUT() (lut [256]uint8) {
	for i := range lut {
		lut[i] = uint8(i)
	}
	return lut
}

// compose returns the table for "a then b".
func compose(a, b *[256]uint8) (lut [256]uint8) {
	for i := range lut {
		lut[i] = b[a[i]]
	}
	return lut
}

// luma is imaging's (and Pillow's "L") grey: ITU-R 601 weights.
func luma(r, g, b uint8) uint8 {
	return uint8(0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b) + 0.5)
}

// Fixed-point luma weights (x 2^16) for the hot loops; they sum to 2^16 so a
// grey pixel maps to itself.
const (
	lumaR = 19595
	lumaG = 38470
	lumaB = 65536 - lumaR - lumaG
)
