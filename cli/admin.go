package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

func newFlushCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "flush",
		Short: "Delete this queue: its lists, its task:/result: records and its keys (nothing else in Redis)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g.skipLayout = true // flush is the fix for a layout clash
			conn, q, err := g.connect(cmd.Context(), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			if !yes {
				fmt.Fprintf(g.errOut, "Delete queue %s on %s (its lists, the task:/result: records they name, and every key matching %s)? [y/N] ",
					q.Name(), conn.Addr, keysOf(q, queue.Keys.Pattern))
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
	var all, stuck bool
	cmd := &cobra.Command{
		Use:   "requeue [--all | --stuck | ID...]",
		Short: "Move failed tasks (dead letters), or stuck ones, back to pending",
		Long: `Move dead letters back to pending with fresh attempts (--all, or by id).

--stuck does the course's fix for tasks a crashed worker left in processing
(HKEYS / HDEL image_processing:processing ID / RPUSH image_processing:pending ID),
atomically, for every claim with no imgq lease older than --stuck-after: claims
of workers imgq cannot see, such as the course's Python worker. imgq's own
workers' claims are recovered by their leases, never by this.`,
		Example: `  imgq requeue --all
  imgq requeue --stuck --stuck-after 30s`,
		RunE: func(cmd *cobra.Command, ids []string) error {
			if stuck {
				if all || len(ids) > 0 {
					return usageError{errors.New("--stuck takes no ids and no --all")}
				}
				conn, q, err := g.connect(cmd.Context(), false, nil)
				if err != nil {
					return err
				}
				defer conn.Close()
				n, err := q.RequeueStuck(cmd.Context(), 0)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "requeued %d stuck task(s) (held over %s by workers imgq cannot see)\n", n, q.Options().StuckAfter)
				return nil
			}
			if all == (len(ids) > 0) {
				return usageError{errors.New("give task ids, --all or --stuck")}
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
				return fmt.Errorf("%d of %d ids were not in %s", len(ids)-n, len(ids), keysOf(q, func(k queue.Keys) string { return k.Failed }))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "requeue every failed task")
	cmd.Flags().BoolVar(&stuck, "stuck", false, "requeue tasks stuck in processing with workers imgq cannot see (older than --stuck-after)")
	return cmd
}

func newTaskCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "task ID|PREFIX",
		Short: "Show a task's whole record",
		Args:  exactArgs(1),
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
			tw := tabwriter.NewWriter(g.out, 2, 4, 2, ' ', 0)
			printRecord(tw, t.Keys.Task(t.ID), t.Fields)
			if len(t.ResultFields) > 0 {
				fmt.Fprintln(tw)
				printRecord(tw, t.Keys.Result(t.ID), t.ResultFields)
			}
			return tw.Flush()
		},
	}
}

// printRecord prints one hash as redis-cli HGETALL would, sorted, with times
// (Unix seconds, or ms from an older imgq) also shown as dates.
func printRecord(w io.Writer, key string, h map[string]string) {
	fmt.Fprintf(w, "key\t%s\n", safetext.Clean(key))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := h[k]
		if strings.HasSuffix(k, "_at") || k == "current_since" {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
				t := time.UnixMilli(int64(f * 1000))
				if f > 1e11 {
					t = time.UnixMilli(int64(f))
				}
				v = fmt.Sprintf("%s (%s)", v, t.Format(time.RFC3339Nano))
			}
		}
		fmt.Fprintf(w, "%s\t%s\n", safetext.Clean(k), safetext.Truncate(v, 500))
	}
}

func newFiltersCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "filters",
		Short: "List the image filters and their parameters",
		Args:  noArgs,
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

// keysOf names one key of q, or of each of its shards, for a message.
func keysOf(q *queue.Queue, key func(queue.Keys) string) string {
	var names []string
	for _, k := range q.AllKeys() {
		names = append(names, key(k))
	}
	return strings.Join(names, ", ")
}
