package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgq/imgq/workers/pipeline"
)

// The photos docs/BENCHMARKS.md section 10 enqueues, written by a test that
// runs only when asked (a folder of 10,000 photos is no unit test):
//
//	go test ./cli -run TestWriteEnqueuePhotos -photos /tmp/p640 -photos-n 10000 -photos-size 640x480
var (
	photosDir  = flag.String("photos", "", "TestWriteEnqueuePhotos: the folder to write sample photos to")
	photosN    = flag.Int("photos-n", 10000, "TestWriteEnqueuePhotos: how many")
	photosSize = flag.String("photos-size", "640x480", "TestWriteEnqueuePhotos: WxH")
)

// photoVariants is how many different pictures are drawn; the other files
// repeat them under their own names (each its own task: ids come from the
// path), since drawing and encoding 10,000 distinct photos takes minutes.
const photoVariants = 64

func TestWriteEnqueuePhotos(t *testing.T) {
	if *photosDir == "" {
		t.Skip("-photos DIR not given")
	}
	w, h, err := parseSize(*photosSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(*photosDir, 0o755); err != nil {
		t.Fatal(err)
	}
	variants := make([][]byte, min(photoVariants, *photosN))
	for i := range variants {
		if variants[i], err = pipeline.SampleJPEG(w, h, int64(i+1), 90); err != nil {
			t.Fatal(err)
		}
	}
	for i := range *photosN {
		name := filepath.Join(*photosDir, fmt.Sprintf("photo_%05d.jpg", i+1))
		if err := os.WriteFile(name, variants[i%len(variants)], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
