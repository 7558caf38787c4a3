package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
)

func newStatsCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		watch  bool
		every  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Print queue depths, totals and workers (one Redis round trip)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			conn, q, err := g.connect(ctx, false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			// Workers imgq did not start are derived by an observer that imgq's
			// workers and dashboards run; run it once here too, so `imgq stats`
			// shows a class of Python workers with no imgq process around.
			if err := q.Observe(ctx); err != nil {
				return err
			}
			if !watch {
				s, err := readStats(ctx, q)
				if err != nil {
					return err
				}
				return printStats(g.out, s, asJSON, q.Options().StuckAfter)
			}
			// --watch keeps going through Redis restarts: report, back off, retry.
			backoff := every
			for ctx.Err() == nil {
				s, err := readStats(ctx, q)
				if err != nil {
					fmt.Fprintf(g.errOut, "%s redis unavailable (%v); retrying in %s\n", time.Now().Format("15:04:05"), err, backoff)
					sleepCtx(ctx, backoff)
					backoff = min(backoff*2, 10*time.Second)
					continue
				}
				backoff = every
				if !asJSON {
					fmt.Fprint(g.out, "\x1b[H\x1b[2J")
				}
				if err := printStats(g.out, s, asJSON, q.Options().StuckAfter); err != nil {
					return err
				}
				// After Stats, so that an outage is reported by Stats at once rather
				// than absorbed by this call's retries; its effect shows next time.
				_ = q.Observe(ctx)
				sleepCtx(ctx, every)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVarP(&watch, "watch", "w", false, "refresh until interrupted")
	f.DurationVar(&every, "interval", time.Second, "with --watch: refresh period")
	return cmd
}

// statsView is what imgq stats prints: the snapshot, whose OldestPending (the
// queue latency) the stats script reads in the same round trip.
type statsView struct {
	queue.Stats
}

// readStats reads the snapshot: one round trip.
func readStats(ctx context.Context, q *queue.Queue) (statsView, error) {
	s, err := q.Stats(ctx)
	if err != nil {
		return statsView{}, err
	}
	return statsView{Stats: s}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func printStats(out io.Writer, v statsView, asJSON bool, stuckAfter time.Duration) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(toJSON(v, stuckAfter))
	}
	s := v.Stats
	fmt.Fprintf(out, "Queue    pending %d (high %d, normal %d, low %d)  processing %d  retry %d  completed %d  failed %d\n",
		s.PendingTotal(), s.PendingHigh, s.Pending, s.PendingLow, s.Processing, s.Retry, s.Completed, s.Failed)
	if s.PendingTotal() > 0 || v.OldestPending > 0 {
		fmt.Fprintf(out, "Latency  the oldest pending task has waited %s\n", v.OldestPending.Round(time.Millisecond))
	} else {
		fmt.Fprintln(out, "Latency  nothing waiting")
	}
	t := s.Totals
	fmt.Fprintf(out, "Totals   enqueued %d  completed %d  retried %d  failed %d  recovered %d  requeued %d\n",
		t.Enqueued, t.Completed, t.Retried, t.Failed, t.Recovered, t.Requeued)
	if err := printShards(out, s.Shards); err != nil {
		return err
	}
	if stuck := s.Stuck(stuckAfter); len(stuck) > 0 {
		fmt.Fprintf(out, "Stuck    %d task(s) held over %s by workers imgq cannot see (imgq requeue --stuck):", len(stuck), stuckAfter)
		for i, c := range stuck {
			if i == 5 {
				fmt.Fprint(out, " ...")
				break
			}
			fmt.Fprintf(out, " %s (%s, %s)", safetext.Truncate(c.ID, 40), safetext.Truncate(c.Worker, 24), s.At.Sub(c.Since).Round(time.Second))
		}
		fmt.Fprintln(out)
	}
	if len(s.Workers) == 0 {
		fmt.Fprintln(out, "Workers  none")
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tHOST\tPID\tSTATE\tPROCESSED\tFAILED\tSUCCESS\tMEAN\tCURRENT")
	for _, w := range s.Workers {
		rate := "-"
		if n := w.Processed + w.Failed; n > 0 {
			rate = fmt.Sprintf("%.0f%%", 100*float64(w.Processed)/float64(n))
		}
		host, pid := safetext.Truncate(w.Host, 24), fmt.Sprint(w.PID)
		if w.Observed {
			// It never reported: imgq derived it from the course's keys.
			host, pid = "(observed)", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", safetext.Truncate(w.ID, 32), host,
			pid, safetext.Truncate(string(w.State), 12), w.Processed, w.Failed, rate, w.MeanTime().Round(time.Millisecond), safetext.Truncate(w.Current, 24))
	}
	return tw.Flush()
}
