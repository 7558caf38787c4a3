package cli

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/proc"
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
	asJSON   bool
	shardKey string
}

func newEnqueueCmd(g *globals) *cobra.Command {
	ef := &enqueueFlags{}
	cmd := &cobra.Command{
		Use:   "enqueue [FILE | FOLDER | -]...",
		Short: "Add image tasks: files (JPEG, PNG), folders of them, or generated samples",
		Long: `Add image tasks: files (JPEG, PNG), the image files of a folder (.jpg, .jpeg,
.png; not its subfolders), paths read from stdin ("-", one a line), or with none
of these --count generated samples. Each file is read, checked and sent to Redis
in batches while the next ones are read; a bad file is named on stderr and
skipped, the others are enqueued, and the exit status is 1. The same command run
again enqueues nothing twice (a file's task id comes from its path, size,
modification time and the filters). At the end a line says how many files, how
fast, and where the time went (read, inspect+hash, Redis).`,
		Example: `  imgq enqueue images/*.jpg --filters brightness:1.8,blur:2,grayscale
  imgq enqueue photos/                       # every .jpg/.jpeg/.png in photos
  find photos -name '*.jpg' | imgq enqueue -  # more files than a command line holds
  imgq enqueue --count 15 --size 640x480 --priority high`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnqueue(cmd.Context(), g, ef, args, cmd.InOrStdin())
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
	f.StringVar(&ef.shardKey, "shard-key", "", "on a sharded queue (--shards): put these tasks on the one shard this key names, so they keep their order (default: spread over the shards)")
	f.BoolVar(&ef.asJSON, "json", false, "print one JSON object (tasks, errors, counts, files/s, time per stage) on stdout instead of a line per task")
	return cmd
}

func runEnqueue(ctx context.Context, g *globals, ef *enqueueFlags, args []string, stdin io.Reader) error {
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
	var in enqueueInputs
	if len(args) > 0 {
		if in, err = expandInputs(args, stdin); err != nil {
			return err
		}
	}
	conn, q, err := g.connect(ctx, false, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Ctrl-C stops reading files; what was sent is reported as it is.
	ctx, stop := signal.NotifyContext(ctx, proc.StopSignals()...)
	defer stop()
	r := &enqueueReport{Queue: q.Name(), List: pendingList(q, prio), Priority: string(prio), Filters: spec.String(),
		Files: len(in.files), Skipped: in.skipped, asJSON: ef.asJSON, out: g.out, errs: &termLines{w: g.errOut}, spec: spec.String()}
	if len(args) == 0 {
		return enqueueSamples(ctx, ef, q, spec, prio, w, h, r)
	}
	if len(in.skipped) > 0 {
		r.errs.printf("skipped %d folder entr%s that %s not .jpg, .jpeg or .png files (subfolders are not entered): %s\n",
			len(in.skipped), plural(len(in.skipped), "y", "ies"), plural(len(in.skipped), "is", "are"), listSome(in.skipped, 5))
	}
	ft := &fileTasker{queueName: q.Name(), spec: spec, filters: spec.String(), shared: ef.shared, inputDir: ef.inputDir,
		again: ef.again, maxBytes: min(pipeline.DefaultMaxBytes, q.Options().MaxBlobBytes), prio: prio, timeout: ef.timeout,
		shardKey: ef.shardKey}
	if len(in.files) == 1 {
		ft.name = ef.name
	}
	p := newEnqPipeline(ft, in.files, q.EnqueueBatchResults)
	bar := startEnqueueProgress(r.errs, int64(len(in.files)), &r.done)
	cpu0, cpuOK := serverCPU(ctx, q.Client())
	start := time.Now()
	p.run(ctx, func(b *enqBatch) {
		for _, it := range b.items {
			r.add(it.path, it.task, it.size, b.results[it.idx], it.err)
		}
	})
	wall := time.Since(start)
	bar.stop()
	if cpu1, ok := serverCPU(context.WithoutCancel(ctx), q.Client()); ok && cpuOK {
		p.stages.serverCPU = cpu1 - cpu0
	}
	return r.finish(wall, p.stages)
}

// enqueueSamples draws --count sample pictures and enqueues them in one batch.
func enqueueSamples(ctx context.Context, ef *enqueueFlags, q *queue.Queue, spec pipeline.Spec, prio queue.Priority, w, h int, r *enqueueReport) error {
	tasks, err := ef.sampleTasks(spec, w, h)
	if err != nil {
		return err
	}
	for i := range tasks {
		tasks[i].Priority = prio
		tasks[i].Timeout = ef.timeout
		tasks[i].ShardKey = ef.shardKey
	}
	start := time.Now()
	res, err := q.EnqueueBatchResults(ctx, tasks)
	if res == nil {
		return err
	}
	for i := range res {
		r.add("", tasks[i], int64(len(tasks[i].Blob)), res[i], nil)
	}
	return r.finish(time.Since(start), nil)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// listSome names the first n of xs and counts the rest.
func listSome(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:n], ", "), len(xs)-n)
}

// pendingList names the list the tasks go to, for the report: on a sharded
// queue, the first shard's and how many more.
func pendingList(q *queue.Queue, prio queue.Priority) string {
	all := q.AllKeys()
	if len(all) == 1 {
		return all[0].PendingFor(prio)
	}
	return fmt.Sprintf("%s and %d more shards", all[0].PendingFor(prio), len(all)-1)
}
