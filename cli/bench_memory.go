package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/benchkit"
	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// MemoryReport is `imgq bench memory --json`: a real `imgq worker` child process
// runs many full-size image tasks while its RSS is sampled from /proc.
type MemoryReport struct {
	Machine     benchkit.Machine `json:"machine"`
	Tasks       int              `json:"tasks"`
	Size        string           `json:"size"`
	Filters     string           `json:"filters"`
	Concurrency int              `json:"concurrency"`
	Seconds     float64          `json:"seconds"`
	ImagesPerS  float64          `json:"images_per_sec"`
	PeakRSSMB   float64          `json:"peak_rss_mb"` // VmHWM at the end
	RSSMB       []float64        `json:"rss_mb_at_deciles"`
	Failed      int64            `json:"failed"`
}

func newBenchMemoryCmd(g *globals) *cobra.Command {
	var (
		tasks, conc, width, height int
		filters                    string
		asJSON                     bool
	)
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Peak RSS of an imgq worker process over many full-size image tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// It reads the worker process's memory from the system: say so now
			// where that is impossible, not after the work.
			if _, _, err := proc.ProcessMemory(os.Getpid()); err != nil {
				return fmt.Errorf("imgq bench memory: %w", err)
			}
			rdb, url, stop, err := g.benchRedis(ctx, 8)
			if err != nil {
				return err
			}
			defer stop()
			rep := MemoryReport{Machine: benchkit.DescribeMachine(ctx, rdb), Tasks: tasks, Size: fmt.Sprintf("%dx%d", width, height),
				Filters: filters, Concurrency: conc}
			spec, err := pipeline.Parse(filters)
			if err != nil {
				return usageError{err}
			}
			q, err := queue.New(rdb, queue.Options{Name: g.queueName + "-benchmem"})
			if err != nil {
				return err
			}
			if _, err := q.Flush(ctx); err != nil {
				return err
			}
			if err := q.LoadScripts(ctx); err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "imgq-bench-mem-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
			_ = os.MkdirAll(in, 0o755)
			_ = os.MkdirAll(out, 0o755)
			// A few distinct pictures, shared through the input folder so Redis
			// does not hold gigabytes of blobs.
			var paths []string
			for i := range 4 {
				b, err := pipeline.SampleJPEG(width, height, int64(i+1), 90)
				if err != nil {
					return err
				}
				p := filepath.Join(in, fmt.Sprintf("sample-%d.jpg", i))
				if err := os.WriteFile(p, b, 0o644); err != nil {
					return err
				}
				paths = append(paths, p)
			}
			for i := 0; i < tasks; i += 500 {
				var ts []queue.NewTask
				for j := i; j < min(i+500, tasks); j++ {
					t, err := workers.FileTask(spec, paths[j%len(paths)], in, true, pipeline.DefaultLimits())
					if err != nil {
						return err
					}
					ts = append(ts, t)
				}
				if _, err := q.EnqueueBatch(ctx, ts); err != nil {
					return err
				}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			child := childWorker(ctx, exe, url, "--queue", q.Name(), "--id", "memory",
				"--concurrency", strconv.Itoa(conc), "--input", in, "--output", out)
			child.Stderr = os.Stderr
			start := time.Now()
			if err := proc.Start(child); err != nil {
				return err
			}
			defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
			bar := benchkit.NewProgress(g.errOut, fmt.Sprintf("worker RSS, %d images", tasks), int64(tasks))
			next := 1
			var peak int64
			for {
				rss, hwm, err := benchkit.ProcMemKB(child.Process.Pid)
				if err != nil {
					return fmt.Errorf("worker process: %w", err)
				}
				peak = max(peak, hwm)
				s, err := q.Stats(ctx)
				if err != nil {
					return err
				}
				done := s.Totals.Completed + s.Totals.Failed
				rep.Failed = s.Totals.Failed
				bar.Set(done)
				for next <= 10 && done >= int64(tasks*next/10) {
					rep.RSSMB = append(rep.RSSMB, float64(rss)/1024)
					next++
				}
				if done >= int64(tasks) {
					break
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
			rep.Seconds = time.Since(start).Seconds()
			rep.ImagesPerS = float64(tasks) / rep.Seconds
			rep.PeakRSSMB = float64(peak) / 1024
			bar.Done()
			_ = proc.Terminate(child)
			_, _ = q.Flush(ctx)
			if asJSON {
				return printJSON(g.out, rep)
			}
			fmt.Fprintf(g.out, "%d × %s (%s), 1 worker process, concurrency %d: %.1fs, %.1f images/s, %d failed\n",
				tasks, rep.Size, filters, conc, rep.Seconds, rep.ImagesPerS, rep.Failed)
			fmt.Fprintf(g.out, "peak RSS (VmHWM) %.1f MB; RSS at each 10%%: %v MB\n", rep.PeakRSSMB, roundAll(rep.RSSMB))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&tasks, "tasks", 2000, "image tasks")
	f.IntVarP(&conc, "concurrency", "c", numCPU(), "worker slots")
	f.IntVar(&width, "width", 1920, "image width")
	f.IntVar(&height, "height", 1080, "image height")
	f.StringVar(&filters, "filters", workers.CourseFilters, "pipeline")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
