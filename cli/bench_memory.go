package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

func newBenchMemoryCmd(g *globals) *cobra.Command {
	var o bench.MemoryOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "memory",
		Short: "Peak RSS of an imgq worker process over many full-size image tasks",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// It reads the worker process's memory from the system: say so now
			// where that is impossible, not after the work.
			if err := bench.CheckMemorySupported(); err != nil {
				return fmt.Errorf("imgq bench memory: %w", err)
			}
			spec, err := pipeline.Parse(o.Filters)
			if err != nil {
				return usageError{err}
			}
			rdb, url, stop, err := g.benchRedis(ctx, 8)
			if err != nil {
				return err
			}
			defer stop()
			o.Queue, o.URL, o.Spec, o.Progress, o.ChildStderr = g.queueName, url, spec, g.errOut, g.errOut
			rep, err := bench.RunMemory(ctx, rdb, o)
			if err != nil {
				return err
			}
			return g.printReport(rep, asJSON)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Tasks, "tasks", 2000, "image tasks")
	f.IntVarP(&o.Concurrency, "concurrency", "c", numCPU(), "worker slots")
	f.IntVar(&o.Width, "width", 1920, "image width")
	f.IntVar(&o.Height, "height", 1080, "image height")
	f.StringVar(&o.Filters, "filters", workers.CourseFilters, "pipeline")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
