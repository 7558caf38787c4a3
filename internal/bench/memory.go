package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// MemoryReport is `imgq bench memory --json`: a real `imgq worker` child process
// runs many full-size image tasks while its RSS is sampled from /proc.
type MemoryReport struct {
	Machine     Machine   `json:"machine"`
	Tasks       int       `json:"tasks"`
	Size        string    `json:"size"`
	Filters     string    `json:"filters"`
	Concurrency int       `json:"concurrency"`
	Seconds     float64   `json:"seconds"`
	ImagesPerS  float64   `json:"images_per_sec"`
	PeakRSSMB   float64   `json:"peak_rss_mb"` // VmHWM at the end
	RSSMB       []float64 `json:"rss_mb_at_deciles"`
	Failed      int64     `json:"failed"`
}

// MemoryOptions shape `imgq bench memory`.
type MemoryOptions struct {
	Queue         string // base name; the run uses Queue+"-benchmem"
	URL           string // of rdb, for the worker child
	Tasks         int
	Concurrency   int
	Width, Height int
	Spec          pipeline.Spec
	Filters       string // Spec as the user wrote it, for the report
	Progress      io.Writer
	ChildStderr   io.Writer // the worker child's stderr (nil: discarded)
}

// CheckMemorySupported says, before any work, whether this system lets a
// process's memory be read (Linux only).
func CheckMemorySupported() error {
	_, _, err := proc.ProcessMemory(os.Getpid())
	return err
}

// RunMemory enqueues o.Tasks image tasks, runs them in one `imgq worker`
// child (this executable) and samples its resident memory as it goes.
func RunMemory(ctx context.Context, rdb redis.UniversalClient, o MemoryOptions) (MemoryReport, error) {
	rep := MemoryReport{Machine: DescribeMachine(ctx, rdb), Tasks: o.Tasks, Size: fmt.Sprintf("%dx%d", o.Width, o.Height),
		Filters: o.Filters, Concurrency: o.Concurrency}
	q, err := queue.New(rdb, queue.Options{Name: o.Queue + "-benchmem"})
	if err != nil {
		return rep, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return rep, err
	}
	if err := q.LoadScripts(ctx); err != nil {
		return rep, err
	}
	dir, err := os.MkdirTemp("", "imgq-bench-mem-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := enqueueImageFiles(ctx, q, o, in); err != nil {
		return rep, err
	}
	_ = os.MkdirAll(out, 0o755)
	exe, err := os.Executable()
	if err != nil {
		return rep, err
	}
	child := childWorker(ctx, exe, o.URL, "--queue", q.Name(), "--id", "memory",
		"--concurrency", strconv.Itoa(o.Concurrency), "--input", in, "--output", out)
	child.Stderr = o.ChildStderr
	start := time.Now()
	if err := proc.Start(child); err != nil {
		return rep, err
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	if err := sampleMemory(ctx, q, child, out, &rep, o.Progress); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.ImagesPerS = float64(o.Tasks) / rep.Seconds
	_ = proc.Terminate(child)
	_, _ = q.Flush(ctx)
	return rep, nil
}

// enqueueImageFiles writes a few distinct pictures into dir and enqueues
// o.Tasks file tasks over them: shared through the input folder, so Redis does
// not hold gigabytes of blobs.
func enqueueImageFiles(ctx context.Context, q *queue.Queue, o MemoryOptions, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var paths []string
	for i := range 4 {
		b, err := pipeline.SampleJPEG(o.Width, o.Height, int64(i+1), 90)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, fmt.Sprintf("sample-%d.jpg", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		paths = append(paths, p)
	}
	for i := 0; i < o.Tasks; i += 500 {
		var ts []queue.NewTask
		for j := i; j < min(i+500, o.Tasks); j++ {
			t, err := workers.FileTask(o.Spec, paths[j%len(paths)], dir, true, pipeline.DefaultLimits())
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		if _, err := q.EnqueueBatch(ctx, ts); err != nil {
			return err
		}
	}
	return nil
}

// sampleMemory reads the child's RSS every 200 ms until every task is done,
// keeping one reading per tenth of the tasks and the peak (VmHWM).
func sampleMemory(ctx context.Context, q *queue.Queue, child *exec.Cmd, out string, rep *MemoryReport, progress io.Writer) error {
	bar := NewProgress(progress, fmt.Sprintf("worker RSS, %d images", rep.Tasks), int64(rep.Tasks))
	defer bar.Done()
	start := time.Now()
	next := 1
	var peak int64
	for {
		rss, hwm, err := procMemKB(child.Process.Pid)
		if err != nil {
			return fmt.Errorf("worker process: %w", err)
		}
		peak = max(peak, hwm)
		rep.PeakRSSMB = float64(peak) / 1024
		s, err := q.Stats(ctx)
		if err != nil {
			return err
		}
		done := s.Totals.Completed + s.Totals.Failed
		rep.Failed = s.Totals.Failed
		bar.Set(done)
		for next <= 10 && done >= int64(rep.Tasks*next/10) {
			rep.RSSMB = append(rep.RSSMB, float64(rss)/1024)
			next++
		}
		if done >= int64(rep.Tasks) {
			return nil
		}
		if time.Since(start) > 30*time.Minute {
			return errors.New("timed out after 30 minutes")
		}
		// Outputs are not the point: keep the disk from filling.
		if ents, err := os.ReadDir(out); err == nil && len(ents) > 200 {
			for _, e := range ents {
				_ = os.Remove(filepath.Join(out, e.Name()))
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WriteTable prints the report as the command's two lines.
func (rep MemoryReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%d × %s (%s), 1 worker process, concurrency %d: %.1fs, %.1f images/s, %d failed\n",
		rep.Tasks, rep.Size, rep.Filters, rep.Concurrency, rep.Seconds, rep.ImagesPerS, rep.Failed)
	fmt.Fprintf(w, "peak RSS (VmHWM) %.1f MB; RSS at each 10%%: %v MB\n", rep.PeakRSSMB, roundAll(rep.RSSMB))
}
