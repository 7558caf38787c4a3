package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type enqueueFlags struct {
	count    int
	filters  string
	priority string
	size     string
	name     string
	shared   bool
	inputDir string
	timeout  time.Duration
	again    bool
}

func newEnqueueCmd(g *globals) *cobra.Command {
	ef := &enqueueFlags{}
	cmd := &cobra.Command{
		Use:   "enqueue [FILES...]",
		Short: "Add image tasks: files (JPEG, PNG) or generated samples",
		Example: `  imgq enqueue images/*.jpg --filters brightness:1.8,blur:2,grayscale
  imgq enqueue --count 15 --size 640x480 --priority high`,
		RunE: func(cmd *cobra.Command, files []string) error {
			return runEnqueue(cmd.Context(), g, ef, files)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&ef.count, "count", "n", 1, "with no files: how many sample images to generate")
	f.StringVarP(&ef.filters, "filters", "f", workers.CourseFilters, "filter spec, name:param,... (imgq filters lists them)")
	f.StringVarP(&ef.priority, "priority", "p", "normal", "high, normal or low")
	f.StringVar(&ef.size, "size", "640x480", "size of generated samples, WxH")
	f.StringVar(&ef.name, "name", "", "task name shown in the dashboard")
	f.BoolVar(&ef.shared, "shared", false, "send only the path (relative to --input, as the task's image_path) for workers sharing a filesystem, not the bytes")
	f.DurationVar(&ef.timeout, "timeout", 0, "time limit of one run of each task, overriding the worker's --task-timeout (0: the worker's)")
	f.BoolVar(&ef.again, "again", false, "enqueue files even if the same files with the same filters are already in the queue (new task ids)")
	f.StringVar(&ef.inputDir, "input", ".", "with --shared: the folder image paths are relative to (the workers' --input)")
	return cmd
}

func runEnqueue(ctx context.Context, g *globals, ef *enqueueFlags, files []string) error {
	spec, err := pipeline.Parse(ef.filters)
	if err != nil {
		return usageError{err}
	}
	prio, err := queue.ParsePriority(ef.priority)
	if err != nil {
		return usageError{err}
	}
	w, h, err := parseSize(ef.size)
	if err != nil {
		return usageError{err}
	}
	if ef.timeout < 0 {
		return usageError{fmt.Errorf("--timeout %s: want a positive duration, e.g. 30s", ef.timeout)}
	}
	tasks, err := ef.tasks(spec, files, w, h)
	if err != nil {
		return err
	}
	for i := range tasks {
		tasks[i].Priority = prio
		tasks[i].Timeout = ef.timeout
	}
	conn, q, err := g.connect(ctx, false, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	if !ef.again {
		// One id per (queue, file, filters): the same command run again (after
		// a partial failure, a lost reply) leaves the tasks already there as
		// they are instead of queueing them twice.
		for i, f := range files {
			id, err := fileTaskID(q.Name(), f, spec.String(), ef.shared)
			if err != nil {
				return err
			}
			if tasks[i], err = workers.WithID(tasks[i], id); err != nil {
				return err
			}
		}
	}
	res, err := q.EnqueueBatchResults(ctx, tasks)
	if res == nil {
		return err
	}
	if rerr := reportEnqueued(g, files, tasks, res, spec, q.Keys().PendingFor(prio), prio); rerr != nil {
		return rerr
	}
	return err
}

// reportEnqueued prints each task enqueued on stdout (id, name, filters), each
// one refused or already there on stderr, a summary line, and returns an error
// naming what was not enqueued.
func reportEnqueued(g *globals, files []string, tasks []queue.NewTask, res []queue.EnqueueResult, spec pipeline.Spec, list string, prio queue.Priority) error {
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
	fmt.Fprintf(g.errOut, "enqueued %d task(s) on %s (%s priority)", ok, list, prio)
	if dup > 0 {
		fmt.Fprintf(g.errOut, ", %d of them already there", dup)
	}
	fmt.Fprintln(g.errOut)
	if len(failed) == 0 {
		return nil
	}
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
