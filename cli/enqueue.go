package cli

import (
	"fmt"
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
			ids, err := q.EnqueueBatch(cmd.Context(), tasks)
			if err != nil {
				return err
			}
			for i, id := range ids {
				fmt.Fprintf(g.out, "%s\t%s\t%s\n", id, safetext.Truncate(tasks[i].Name, 80), spec)
			}
			fmt.Fprintf(g.errOut, "enqueued %d task(s) on %s (%s priority)\n", len(ids), q.Keys().PendingFor(prio), prio)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVarP(&count, "count", "n", 1, "with no files: how many sample images to generate")
	f.StringVarP(&filters, "filters", "f", workers.CourseFilters, "filter spec (see `imgq filters`)")
	f.StringVarP(&priority, "priority", "p", "normal", "high, normal or low")
	f.StringVar(&size, "size", "640x480", "size of generated samples, WxH")
	f.StringVar(&name, "name", "", "task name shown in the dashboard")
	f.BoolVar(&shared, "shared", false, "send only the path (relative to --input, as the task's image_path) for workers sharing a filesystem, not the bytes")
	f.DurationVar(&timeout, "timeout", 0, "time limit of one run of each task, overriding the worker's --task-timeout (0: the worker's)")
	f.StringVar(&inputDir, "input", ".", "with --shared: the folder image paths are relative to (the workers' --input)")
	return cmd
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
