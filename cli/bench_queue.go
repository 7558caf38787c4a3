package cli

import (
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
)

func newBenchQueueCmd(g *globals) *cobra.Command {
	var o bench.QueueOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "No-op throughput, pickup latency of idle workers, and crash recovery time",
		Example: `  imgq bench queue                  # starts its own redis-server
  imgq bench queue --tasks 50000 --reps 5 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Keep go-redis and worker chatter off the bench's output.
			slog.SetDefault(slog.New(slog.DiscardHandler))
			rdb, url, stop, err := g.benchRedis(ctx, o.Workers*o.Concurrency+32)
			if err != nil {
				return err
			}
			defer stop()
			o.Queue, o.URL, o.Progress = g.queueName, url, g.errOut
			rep, err := bench.RunQueue(ctx, rdb, o)
			if err != nil {
				return err
			}
			return g.printReport(rep, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Tasks, "tasks", 20000, "no-op tasks per throughput repetition")
	fl.IntVar(&o.Workers, "workers", 1, "worker instances")
	fl.IntVar(&o.Concurrency, "concurrency", 50, "slots per worker")
	fl.IntVar(&o.Reps, "reps", 3, "throughput repetitions (the median is reported)")
	fl.IntVar(&o.Samples, "samples", 1000, "pickup latency samples")
	fl.IntVar(&o.RecoveryRuns, "recovery-runs", 3, "crash recovery repetitions (0 skips)")
	fl.DurationVar(&o.RecoveryLease, "recovery-lease", 2*time.Second, "lease used in the crash recovery runs")
	fl.BoolVar(&o.SimulateCrash, "simulate-crash", false, "simulate the crash in-process (claim, never ack) instead of SIGKILLing an imgq worker child")
	fl.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	fl.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the throughput runs to this file")
	return cmd
}
