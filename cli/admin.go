package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/workers/pipeline"
)

func newFlushCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "flush",
		Short: "Delete this queue's keys (and nothing else in Redis)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, q, err := g.connect(cmd.Context(), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			if !yes {
				fmt.Fprintf(g.errOut, "Delete every key matching %s on %s? [y/N] ", q.Keys().Pattern(), conn.Addr)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return errors.New("flush cancelled")
				}
			}
			n, err := q.Flush(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "flushed %s: removed %d keys\n", q.Name(), n)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	return cmd
}

func newRequeueCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "requeue [--all | ID...]",
		Short: "Move failed tasks (dead letters) back to pending",
		RunE: func(cmd *cobra.Command, ids []string) error {
			if all == (len(ids) > 0) {
				return usageError{errors.New("give task ids or --all")}
			}
			conn, q, err := g.connect(cmd.Context(), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			var n int
			if all {
				n, err = q.RequeueAll(cmd.Context())
			} else {
				n, err = q.Requeue(cmd.Context(), ids...)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.out, "requeued %d task(s)\n", n)
			if !all && n < len(ids) {
				return fmt.Errorf("%d of %d ids were not in %s", len(ids)-n, len(ids), q.Keys().Failed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "requeue every failed task")
	return cmd
}

func newTaskCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "task ID|PREFIX",
		Short: "Show a task's whole record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, q, err := g.connect(cmd.Context(), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			t, err := q.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			keys := slices.Sorted(maps.Keys(t.Fields))
			tw := tabwriter.NewWriter(g.out, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "key\t%s\n", q.Keys().Task(t.ID))
			for _, k := range keys {
				v := t.Fields[k]
				if strings.HasSuffix(k, "_at") || k == "current_since" {
					if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
						v = fmt.Sprintf("%s (%s)", v, time.UnixMilli(ms).Format(time.RFC3339Nano))
					}
				}
				fmt.Fprintf(tw, "%s\t%s\n", safetext.Clean(k), safetext.Truncate(v, 500))
			}
			return tw.Flush()
		},
	}
}

func newFiltersCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "filters",
		Short: "List the image filters and their parameters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return json.NewEncoder(g.out).Encode(pipeline.Filters())
			}
			tw := tabwriter.NewWriter(g.out, 2, 4, 2, ' ', 0)
			for _, f := range pipeline.Filters() {
				fmt.Fprintf(tw, "%s\t%s\n", f.Syntax, f.Help)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
