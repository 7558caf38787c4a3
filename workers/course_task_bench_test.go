package workers_test

// CPU per photo of a course task run by ImageHandler, end to end on files
// (read the image_path file from the --input root, decode, the lesson's
// filters, encode, write the output_path file atomically into the --output
// root, the result JSON), next to pipeline.Process alone on the same bytes:
// the difference is what an `imgq worker` spends per photo outside the
// pipeline (Redis aside: see BenchmarkWorkerNoop). cpu-ms/op is the
// process's CPU per photo. Run at one thread, as
// `imgq bench course` runs its workers:
//
//	go test -run '^$' -bench CourseTask -cpu 1 -benchmem ./workers/

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

func BenchmarkCourseTask(b *testing.B) {
	const photos = 8 // distinct inputs, as the course bench's photos are
	for _, sz := range [][2]int{{640, 480}, {1920, 1080}} {
		dir := b.TempDir()
		in, out := filepath.Join(dir, "images"), filepath.Join(dir, "output")
		for _, d := range []string{in, out} {
			if err := os.Mkdir(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		datas := make([][]byte, photos)
		tasks := make([]queue.Claimed, photos)
		for k := range photos {
			data, err := pipeline.SampleJPEG(sz[0], sz[1], int64(k+1), 90)
			if err != nil {
				b.Fatal(err)
			}
			name := fmt.Sprintf("img_%d.jpg", k+1)
			path := filepath.Join(in, name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			payload, _ := json.Marshal(map[string]string{"name": name, "image_path": path, "output_path": "output/" + name})
			datas[k] = data
			tasks[k] = queue.Claimed{ID: fmt.Sprintf("t%d", k), Name: name, Payload: payload}
		}
		inRoot, err := os.OpenRoot(in)
		if err != nil {
			b.Fatal(err)
		}
		outRoot, err := os.OpenRoot(out)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { inRoot.Close(); outRoot.Close() })
		h := &workers.ImageHandler{Input: inRoot, Output: outRoot}
		ctx := context.Background()
		b.Run(fmt.Sprintf("%dx%d/handle", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for i := 0; b.Loop(); i++ {
				if _, err := h.Handle(ctx, tasks[i%photos]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, processCPU(b)-cpu0)
		})
		spec := pipeline.MustParse(workers.CourseFilters)
		b.Run(fmt.Sprintf("%dx%d/process", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for i := 0; b.Loop(); i++ {
				if _, _, err := pipeline.Process(ctx, datas[i%photos], spec, pipeline.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, processCPU(b)-cpu0)
		})
	}
}

// reportCPU reports the process's CPU per op (with -cpu 1: the photo's work
// and its share of the GC), which a loaded machine inflates less than ns/op.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// processCPU is the user+system CPU time of this process so far.
func processCPU(b *testing.B) time.Duration {
	d, err := proc.SelfCPU()
	if err != nil {
		b.Fatalf("cpu time: %v", err)
	}
	return d
}
