package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDumpSamples writes the benchmark inputs for an outside comparison
// (docs/PIPELINE.md: Pillow): IMGQ_SAMPLE_DIR=/tmp/s go test -run DumpSamples
func TestDumpSamples(t *testing.T) {
	dir := os.Getenv("IMGQ_SAMPLE_DIR")
	if dir == "" {
		t.Skip("IMGQ_SAMPLE_DIR not set")
	}
	for _, sz := range benchSizes {
		data, err := SampleJPEG(sz[0], sz[1], 1, 90)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("sample_%dx%d.jpg", sz[0], sz[1]))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
