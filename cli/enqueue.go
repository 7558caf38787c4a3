package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

func newEnqueueCmd(g *globals) *cobra.Command {
	var (
		count    int
		filters  string
		priority string
		size     string
		name     string
		shared   bool
		inputDir string
		timeout  time.Duration
		again    bool
	)
	cmd := &cobra.Command{
		Use:   "enqueue [FILES...]",
		Short: "Add image tasks: files (JPEG, PNG) or generated samples",
		Example: `  imgq enqueue images/*.jpg --filters brightness:1.8,blur:2,grayscale
  imgq enqueue --count 15 --size 640x480 --priority high`,
		RunE: func(cmd *cobra.Command, files []string) error {
			spec, err := pipeline.Parse(filters)
			if err != nil {
				return usageError{err}
			}
			prio, err := queue.ParsePriority(priority)
			if err != nil {
				return usageError{err}
			}
			w, h, err := parseSize(size)
			if err != nil {
				return usageError{err}
			}
			var tasks []queue.NewTask
			for _, f := range files {
				t, err := workers.FileTask(spec, f, inputDir, shared, pipeline.Limits{})
				if err != nil {
					return err
				}
				tasks = append(tasks, t)
			}
			if len(files) == 0 {
				seed := time.Now().UnixNano()
				for i := 0; i < count; i++ {
					label := name
					if label != "" && count > 1 {
						label = fmt.Sprintf("%s-%d", name, i+1)
					}
					t, err := workers.SampleTask(spec, w, h, seed+int64(i), label)
					if err != nil {
						return err
					}
					tasks = append(tasks, t)
				}
			} else if name != "" && len(tasks) == 1 {
				tasks[0].Name = name
			}
			if timeout < 0 {
				return usageError{fmt.Errorf("--timeout %s: want a positive duration, e.g. 30s", timeout)}
			}
			for i := range tasks {
				tasks[i].Priority = prio
				tasks[i].Timeout = timeout
			}
			conn, q, err := g.connect(cmd.Context(), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			if !again {
				// One id per (queue, file, filters): the same command run again (after
				// a partial failure, a lost reply) leaves the tasks already there as
				// they are instead of queueing them twice.
				for i, f := range files {
					id, err := fileTaskID(q.Name(), f, spec.String(), shared)
					if err != nil {
						return err
					}
					if tasks[i], err = workers.WithID(tasks[i], id); err != nil {
						return err
					}
				}
			}
			res, err := q.EnqueueBatchResults(cmd.Context(), tasks)
			if res == nil {
				return err
			}
			var failed []string
			var firstErr error
			ok, dup := 0, 0
			for i, r := range res {
				label := safetext.Truncate(tasks[i].Name, 80)
				if len(files) > 0 {
					label = safetext.Truncate(files[i], 200)
				}
				switch {
				case r.Err != nil:
					failed = append(failed, label)
					if firstErr == nil {
						firstErr = r.Err
					}
					fmt.Fprintf(g.errOut, "not enqueued: %s: %v\n", label, r.Err)
					continue
				case !r.Created:
					dup++
					fmt.Fprintf(g.errOut, "already enqueued: %s is %s (same file and filters; --again makes a new task)\n", label, r.ID)
				}
				ok++
				fmt.Fprintf(g.out, "%s\t%s\t%s\n", r.ID, safetext.Truncate(tasks[i].Name, 80), spec)
			}
			fmt.Fprintf(g.errOut, "enqueued %d task(s) on %s (%s priority)", ok, q.Keys().PendingFor(prio), prio)
			if dup > 0 {
				fmt.Fprintf(g.errOut, ", %d of them already there", dup)
			}
			fmt.Fprintln(g.errOut)
			if len(failed) > 0 {
				what, hint := "task(s)", "the others were"
				if len(files) > 0 {
					what, hint = "file(s)", "the others were; the same command run again enqueues nothing twice"
				}
				if len(failed) == len(res) {
					return fmt.Errorf("none of the %d %s was enqueued: %w", len(res), what, firstErr)
				}
				names := strings.Join(failed, ", ")
				if len(failed) > 10 {
					names = fmt.Sprintf("%s and %d more (each named above)", strings.Join(failed[:10], ", "), len(failed)-10)
				}
				return fmt.Errorf("%d of %d %s not enqueued: %s (%s); first error: %w",
					len(failed), len(res), what, names, hint, firstErr)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVarP(&count, "count", "n", 1, "with no files: how many sample images to generate")
	f.StringVarP(&filters, "filters", "f", workers.CourseFilters, "filter spec, name:param,... (imgq filters lists them)")
	f.StringVarP(&priority, "priority", "p", "normal", "high, normal or low")
	f.StringVar(&size, "size", "640x480", "size of generated samples, WxH")
	f.StringVar(&name, "name", "", "task name shown in the dashboard")
	f.BoolVar(&shared, "shared", false, "send only the path (relative to --input, as the task's image_path) for workers sharing a filesystem, not the bytes")
	f.DurationVar(&timeout, "timeout", 0, "time limit of one run of each task, overriding the worker's --task-timeout (0: the worker's)")
	f.BoolVar(&again, "again", false, "enqueue files even if the same files with the same filters are already in the queue (new task ids)")
	f.StringVar(&inputDir, "input", ".", "with --shared: the folder image paths are relative to (the workers' --input)")
	return cmd
}

// fileTaskID is the idempotency key of a file task: a hash of the queue, the
// file's absolute path, size and modification time, the filters and the mode
// (bytes or --shared path). Changing the file or the filters makes a new task.
func fileTaskID(queueName, path, filters string, shared bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", path, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "imgq-file-task\x00%s\x00%s\x00%d\x00%d\x00%s\x00%t", queueName, abs, st.Size(), st.ModTime().UnixNano(), filters, shared)
	return "task-" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > 10000 || h > 10000 {
		return 0, 0, fmt.Errorf("size %q: want WxH with each side 1..10000, e.g. 640x480", s)
	}
	return w, h, nil
}
