package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
)

// printShards is a sharded queue's depths per shard, under the totals: the
// lines above are their sums. Nothing for an unsharded queue.
func printShards(out io.Writer, shards []queue.ShardStat) error {
	if len(shards) == 0 {
		return nil
	}
	fmt.Fprintf(out, "Shards   %d sub-queues, each in its own slot\n", len(shards))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSLOT\tPENDING\tPROCESSING\tRETRY\tCOMPLETED\tFAILED")
	for _, s := range shards {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", safetext.Truncate(s.Name, 40), s.Slot,
			s.Pending, s.Processing, s.Retry, s.Completed, s.Failed)
	}
	return tw.Flush()
}

// shardJSON is one shard in `imgq stats --json`.
type shardJSON struct {
	Name       string `json:"name"`
	Slot       int    `json:"slot"`
	Pending    int64  `json:"pending"`
	Processing int64  `json:"processing"`
	Retry      int64  `json:"retry"`
	Completed  int64  `json:"completed"`
	Failed     int64  `json:"failed"`
}

// shardsJSON is nil for an unsharded queue, so its JSON has no "shards".
func shardsJSON(shards []queue.ShardStat) []shardJSON {
	var out []shardJSON
	for _, s := range shards {
		out = append(out, shardJSON{Name: s.Name, Slot: s.Slot, Pending: s.Pending,
			Processing: s.Processing, Retry: s.Retry, Completed: s.Completed, Failed: s.Failed})
	}
	return out
}
