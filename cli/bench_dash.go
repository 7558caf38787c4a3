package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
)

func newBenchDashCmd(g *globals) *cobra.Command {
	var o bench.DashOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dash",
		Short: "The dashboard's data cost: Redis commands and time per refresh by queue length and workers; event stream capacity",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rdb, _, stop, err := g.benchRedis(ctx, 16)
			if err != nil {
				return err
			}
			defer stop()
			o.Queue, o.Progress = g.queueName, g.errOut
			rep, err := bench.RunDash(ctx, rdb, o)
			if err != nil {
				return err
			}
			return g.printReport(rep, asJSON)
		},
	}
	fl := cmd.Flags()
	fl.Int64SliceVar(&o.Pending, "pending", []int64{0, 100000, 1000000}, "pending queue lengths to measure")
	fl.IntSliceVar(&o.Workers, "workers", []int{1, 16, 64}, "registered worker counts to measure")
	fl.IntVar(&o.Calls, "calls", 300, "refreshes timed per point")
	fl.IntVar(&o.Drain, "drain", 50000, "events in the stream for the drain test")
	fl.IntVar(&o.Rate, "rate", 5000, "events/s the paced producer writes")
	fl.DurationVar(&o.Duration, "duration", 3*time.Second, "length of the paced test")
	fl.BoolVar(&asJSON, "json", false, "print JSON instead of tables")
	return cmd
}
