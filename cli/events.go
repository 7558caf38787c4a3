package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
)

func newEventsCmd(g *globals) *cobra.Command {
	var last int64
	var follow bool
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow the queue's event stream (Q:events) as text",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			conn, q, err := g.connect(ctx, false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			evs, err := q.LastEvents(ctx, last)
			if err != nil {
				return err
			}
			after := "0"
			if len(evs) == 0 {
				if after, err = q.LastEventID(ctx); err != nil {
					return err
				}
			}
			for _, e := range evs {
				fmt.Fprintln(g.out, FormatEvent(e))
				after = e.ID
			}
			backoff := 500 * time.Millisecond
			for follow && ctx.Err() == nil {
				evs, err := q.ReadEvents(ctx, after, 500, 2*time.Second)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					fmt.Fprintf(g.errOut, "redis unavailable (%v); retrying in %s\n", err, backoff)
					sleepCtx(ctx, backoff)
					backoff = min(backoff*2, 10*time.Second)
					continue
				}
				backoff = 500 * time.Millisecond
				for _, e := range evs {
					fmt.Fprintln(g.out, FormatEvent(e))
					after = e.ID
				}
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&last, "last", 20, "events of history to print first")
	cmd.Flags().BoolVarP(&follow, "follow", "F", true, "keep following new events")
	return cmd
}

// FormatEvent renders one event as a line of text, safe for a terminal.
func FormatEvent(e queue.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-14s", e.Time.Format("15:04:05.000"), safetext.Truncate(e.Kind, 20))
	if e.Task != "" {
		fmt.Fprintf(&b, " %s", safetext.Truncate(e.Task, 40))
	}
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", safetext.Truncate(e.Name, 40))
	}
	if e.Worker != "" {
		fmt.Fprintf(&b, " worker=%s", safetext.Truncate(e.Worker, 32))
	}
	if e.Prev != "" {
		fmt.Fprintf(&b, " from=%s", safetext.Truncate(e.Prev, 32))
	}
	if e.Attempt > 0 {
		fmt.Fprintf(&b, " attempt=%d", e.Attempt)
	}
	if e.Duration > 0 {
		fmt.Fprintf(&b, " took=%s", e.Duration)
	}
	if e.Count > 0 {
		fmt.Fprintf(&b, " count=%d", e.Count)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, " error=%q", safetext.Truncate(e.Error, 200))
	}
	if e.Observed {
		// Derived by imgq from a worker it did not start, not reported by it.
		b.WriteString(" (observed)")
	}
	return b.String()
}
