package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/demo"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type demoFlags struct {
	tasks   int
	workers int
	size    string
	output  string
	filters string
	yes     bool
}

func newDemoCmd(g *globals) *cobra.Command {
	df := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Reproduce the course's demos: basic (3 tasks, 1 worker) and distributed (15 tasks, 3 worker processes)",
	}
	cmd.PersistentFlags().StringVar(&df.size, "size", "640x480", "size of the generated images")
	cmd.PersistentFlags().StringVarP(&df.output, "output", "o", "output", "folder for the processed images")
	cmd.PersistentFlags().StringVarP(&df.filters, "filters", "f", workers.CourseFilters, "filter spec")
	cmd.PersistentFlags().BoolVarP(&df.yes, "yes", "y", false, "flush the queue even when others are using it (tasks waiting or running, live workers)")
	basic := &cobra.Command{
		Use:   "basic",
		Short: "Flush, enqueue 3 tasks, process them with one worker, print what the course printed",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, df, false)
		},
	}
	dist := &cobra.Command{
		Use:   "distributed",
		Short: "15 tasks on 3 worker processes, against 1 worker: speedup, efficiency, tasks per worker",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, df, true)
		},
	}
	dist.Flags().IntVar(&df.workers, "workers", 3, "worker processes")
	dist.Flags().IntVar(&df.tasks, "tasks", 15, "tasks")
	cmd.AddCommand(basic, dist)
	return cmd
}

// runDemo checks the flags, connects (an embedded Redis if none answers) and
// runs one demo; a queue in use or bad sizes are usage errors.
func runDemo(ctx context.Context, g *globals, df *demoFlags, distributed bool) error {
	o, err := df.options(g)
	if err == nil && distributed {
		err = o.CheckDistributed()
	}
	if err != nil {
		return usageError{err}
	}
	run := demo.Basic
	if distributed {
		run = demo.Distributed
	}
	conn, q, err := g.connect(ctx, true, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	o.RedisURL = childURL(g, conn)
	err = run(ctx, q, conn.Addr, o)
	var inUse *demo.InUseError
	if errors.As(err, &inUse) {
		return usageError{err}
	}
	return err
}

func (df *demoFlags) options(g *globals) (demo.Options, error) {
	o := demo.Options{Tasks: df.tasks, Workers: df.workers, Size: df.size, Filters: df.filters, Output: df.output,
		Yes: df.yes, Out: g.out, ErrOut: g.errOut, Lease: g.lease, WorkerTimeout: g.workerTimeout}
	var err error
	if o.Spec, err = pipeline.Parse(df.filters); err != nil {
		return o, err
	}
	if o.Width, o.Height, err = parseSize(df.size); err != nil {
		return o, err
	}
	o.NewWorker = func(q *queue.Queue) (*workers.Worker, error) {
		wf := &workerFlags{id: demo.BasicWorkerID, concurrency: 1, output: df.output, input: ".", grace: 5 * time.Second}
		return newImageWorker(q, wf, g)
	}
	return o, nil
}

// childURL is the Redis URL worker processes get (through the environment, so a
// password never shows in `ps`).
func childURL(g *globals, conn *redisconn.Conn) string {
	if conn.Embedded != nil {
		return "redis://" + conn.Embedded.Addr + "/0"
	}
	if g.redisURL != "" {
		return g.redisURL
	}
	return redisconn.DefaultURL
}
