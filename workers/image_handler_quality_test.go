package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// A course-made task (no filters: the course producer's name, image_path,
// output_path) is saved at Pillow's default quality, as the course's worker
// saves it; a task naming its filters (every imgq-made one) at imgq's 90.
func TestCourseTasksSaveAtTheCourseQuality(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	data, err := pipeline.SampleJPEG(64, 48, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "cat.jpg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	inRoot, err := os.OpenRoot(in)
	if err != nil {
		t.Fatal(err)
	}
	outRoot, err := os.OpenRoot(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inRoot.Close(); outRoot.Close() })
	h := &workers.ImageHandler{Input: inRoot, Output: outRoot}
	for _, tc := range []struct {
		name    string
		filters string
		quality int
	}{
		{"course.jpg", "", workers.CourseQuality},
		{"spaces.jpg", "  ", workers.CourseQuality},
		{"imgq.jpg", workers.CourseFilters, pipeline.DefaultQuality},
		{"other.jpg", "grayscale", pipeline.DefaultQuality},
	} {
		job := map[string]string{"name": tc.name, "image_path": "cat.jpg", "output_path": "output/" + tc.name}
		if tc.filters != "" {
			job["filters"] = tc.filters
		}
		payload, _ := json.Marshal(job)
		if _, err := h.Handle(context.Background(), queue.Claimed{ID: "t-" + tc.name, Payload: payload}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, err := os.ReadFile(filepath.Join(out, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := lumaQuant0(t, b), lumaQuant0(t, encodeAt(t, tc.quality)); got != want {
			t.Errorf("%s (filters %q): first luma quantiser %d, want %d (quality %d)", tc.name, tc.filters, got, want, tc.quality)
		}
	}
}

func encodeAt(t *testing.T, quality int) []byte {
	t.Helper()
	img, err := pipeline.Sample(8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pipeline.Encode(img, pipeline.FormatJPEG, quality)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lumaQuant0 is the DC entry of a JPEG's first quantisation table, which
// the quality sets (3 at 90, 8 at 75 for the standard tables).
func lumaQuant0(t *testing.T, jpg []byte) byte {
	t.Helper()
	i := bytes.Index(jpg, []byte{0xFF, 0xDB})
	if i < 0 || i+5 >= len(jpg) || jpg[i+4] != 0 {
		t.Fatalf("no 8-bit DQT table 0 in % x", jpg[:min(len(jpg), 32)])
	}
	return jpg[i+5]
}
