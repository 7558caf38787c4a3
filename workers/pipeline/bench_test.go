package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/proc"
)

const courseSpec = "brightness:1.8,blur:2,grayscale"

var benchSizes = [][2]int{{640, 480}, {1920, 1080}}

func benchJPEG(b *testing.B, w, h int) []byte {
	data, err := SampleJPEG(w, h, 1, 90)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(" brightness:1.8, blur:2 ,grayscale,resize:640x0,contrast:1.2"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCourse is the whole job a worker does for the course pipeline:
// decode JPEG, filters, encode JPEG q90. MB/s counts raw RGB input bytes.
func BenchmarkCourse(b *testing.B) {
	spec := MustParse(courseSpec)
	for _, sz := range benchSizes {
		in := benchJPEG(b, sz[0], sz[1])
		// threads=1 is a worker with every slot busy; threads=0 one with
		// a single busy slot, which spreads the image over the idle cores.
		for _, threads := range []int{1, 0} {
			b.Run(fmt.Sprintf("fast/%dx%d/threads=%d", sz[0], sz[1], threads), func(b *testing.B) {
				b.SetBytes(int64(sz[0] * sz[1] * 3))
				cpu0 := processCPU(b)
				for b.Loop() {
					if _, _, err := Process(context.Background(), in, spec, Options{Threads: threads}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(processCPU(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
		b.Run(fmt.Sprintf("reference/%dx%d", sz[0], sz[1]), func(b *testing.B) {
			b.SetBytes(int64(sz[0] * sz[1] * 3))
			for b.Loop() {
				img, _, err := Decode(in, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				out, err := Reference(img, spec)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Encode(out, FormatJPEG, 90); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStage times the parts of the course pipeline separately.
func BenchmarkStage(b *testing.B) {
	for _, sz := range benchSizes {
		in := benchJPEG(b, sz[0], sz[1])
		img, _, _ := Decode(in, Limits{})
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		b.Run("decode/"+name, func(b *testing.B) {
			for b.Loop() {
				_, _, _ = Decode(in, Limits{})
			}
		})
		b.Run("filters/"+name, func(b *testing.B) {
			spec := MustParse(courseSpec)
			for b.Loop() {
				_, _ = Apply(context.Background(), img, spec)
			}
		})
		gray, _ := Apply(context.Background(), img, MustParse(courseSpec))
		b.Run("encode-gray/"+name, func(b *testing.B) {
			for b.Loop() {
				_, _ = Encode(gray, FormatJPEG, 90)
			}
		})
		b.Run("encode-color/"+name, func(b *testing.B) {
			for b.Loop() {
				_, _ = Encode(img, FormatJPEG, 90)
			}
		})
	}
}

// BenchmarkFilter times each filter alone on a decoded 640x480 JPEG, fast
// path, and the reference for comparison.
func BenchmarkFilter(b *testing.B) {
	img := sampleYCbCr(b, 640, 480, 1)
	for _, spec := range []string{
		"brightness:1.8", "contrast:1.5", "blur:2", "blur:10", "sharpen:1", "grayscale",
		"edges", "invert", "resize:320x0", "fit:320x320", "thumbnail:100x100",
		"grayscale,blur:2", "brightness:1.8,grayscale",
	} {
		s := MustParse(spec)
		b.Run("fast/"+spec, func(b *testing.B) {
			b.SetBytes(640 * 480 * 3)
			for b.Loop() {
				_, _ = Apply(context.Background(), img, s)
			}
		})
		b.Run("reference/"+spec, func(b *testing.B) {
			b.SetBytes(640 * 480 * 3)
			for b.Loop() {
				_, _ = Reference(img, s)
			}
		})
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU(b *testing.B) time.Duration {
	d, err := proc.SelfCPU()
	if err != nil {
		b.Fatalf("cpu time: %v", err)
	}
	return d
}
