package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/queue"
)

func newBenchClusterCmd(g *globals) *cobra.Command {
	var o bench.ClusterOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "One queue over a Redis Cluster of 1 and 3 masters, unsharded and in shards: balance, memory, CPU per task",
		Long: `Starts a fresh Redis Cluster on loopback for every run (cluster-enabled
redis-servers, master i given the i-th of m equal slot ranges, as redis-cli
--cluster create does), then: enqueues --tasks no-op tasks, runs them with
--workers × --concurrency slots until every one is acknowledged, and reads every
master's commands (INFO commandstats) and CPU time (INFO cpu); then enqueues
--blob-tasks tasks carrying --blob-bytes input bytes each and reads every
master's used_memory. The queue is {<queue>} unsharded (--queue, braces
dropped), or its n sub-queues (queue.ShardNames) for each n > 1 of --shards-list.
--redis is not used: the clusters are its own.`,
		Example: `  imgq bench cluster                                  # 1 and 3 masters, unsharded and 3 shards
  imgq bench cluster --masters 3 --shards 3 --reps 5 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f := cmd.Flag("redis"); f != nil && f.Changed {
				return usageError{errors.New("bench cluster always starts its own clusters on loopback: drop --redis")}
			}
			if err := checkClusterSizes(o); err != nil {
				return usageError{err}
			}
			slog.SetDefault(slog.New(slog.DiscardHandler))
			o.Queue, o.Progress = strings.NewReplacer("{", "", "}", "").Replace(g.queueName), g.errOut
			rep, err := bench.RunCluster(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.printReport(rep, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&o.Masters, "masters", []int{1, 3}, "cluster sizes to measure")
	fl.IntSliceVar(&o.Shards, "shards-list", []int{1, 3}, "shard counts to measure (1: one unsharded queue)")
	fl.IntVar(&o.Tasks, "tasks", 20000, "no-op tasks per run")
	fl.IntVar(&o.Workers, "workers", 1, "worker instances")
	fl.IntVar(&o.Concurrency, "concurrency", 50, "slots per worker")
	fl.IntVar(&o.BlobTasks, "blob-tasks", 1000, "tasks carrying input bytes, enqueued after the workers' run (0 skips)")
	fl.IntVar(&o.BlobBytes, "blob-bytes", 100_000, "input bytes per such task")
	fl.IntVar(&o.Reps, "reps", 3, "runs of each (masters, shards)")
	fl.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

// checkClusterSizes refuses sizes no run could use, before any cluster starts.
func checkClusterSizes(o bench.ClusterOptions) error {
	for _, m := range o.Masters {
		if m < 1 || m > 16 {
			return fmt.Errorf("--masters %d: between 1 and 16", m)
		}
	}
	for _, n := range o.Shards {
		if n < 1 || n > queue.MaxShards {
			return fmt.Errorf("--shards-list %d: between 1 and %d", n, queue.MaxShards)
		}
	}
	if len(o.Masters) == 0 || len(o.Shards) == 0 || o.Tasks < 1 {
		return errors.New("give at least one of --masters and of --shards-list, and --tasks ≥ 1")
	}
	return nil
}
