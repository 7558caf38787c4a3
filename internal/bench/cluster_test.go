package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/imgq/imgq/queue"
)

// One run per cluster size, unsharded: every task is acknowledged, and every
// figure lands on the master that holds the queue's slot (the imbalance that
// sharding is for); the report's fields add up.
func TestBenchClusterUnshardedLandsOnOneMaster(t *testing.T) {
	ctx := context.Background()
	const tasks, blobTasks, blobBytes = 300, 12, 10_000
	rep, err := RunCluster(ctx, ClusterOptions{Queue: "tc", Masters: []int{1, 3}, Shards: []int{1}, Tasks: tasks,
		Workers: 1, Concurrency: 8, BlobTasks: blobTasks, BlobBytes: blobBytes, Reps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || len(rep.Summary) != 2 {
		t.Fatalf("want one run and one summary line per cluster size: %d runs, %d summaries", len(rep.Runs), len(rep.Summary))
	}
	holder := queue.KeySlot("{tc}")
	for _, r := range rep.Runs {
		if len(r.PerMaster) != r.Masters || r.Queue != "{tc}" || r.TasksPerSec <= 0 || r.RedisUSPerTask <= 0 {
			t.Fatalf("run %+v: want one figure per master, the queue {tc}, tasks/s and Redis CPU per task", r)
		}
		// Claim and complete run scripts with a few commands inside each.
		if r.CommandsPerTask < 2 || r.ScriptUSPerTask <= 0 {
			t.Fatalf("%d masters: %.2f commands and %.2f µs of scripts per task", r.Masters, r.CommandsPerTask, r.ScriptUSPerTask)
		}
		// Redis rounds a string up to its allocator's size class: at least the bytes.
		if want := float64(blobTasks*blobBytes) / 1e6; r.BlobMB < want {
			t.Fatalf("%d masters: used_memory grew %.3f MB for %.3f MB of input bytes", r.Masters, r.BlobMB, want)
		}
		for _, pm := range r.PerMaster {
			var lo, hi int
			if _, err := fmt.Sscanf(pm.Slots, "%d-%d", &lo, &hi); err != nil {
				t.Fatal(err)
			}
			if holder >= lo && holder <= hi {
				if len(pm.Shards) != 1 || pm.Commands < 2*tasks || pm.BlobMB < float64(blobTasks*blobBytes)/1e6 {
					t.Fatalf("master holding {tc}: %+v", pm)
				}
				continue
			}
			if len(pm.Shards) != 0 || pm.Commands > tasks/10 || pm.BlobMB > 0.05 {
				t.Fatalf("a master without the queue's slot did its work: %+v", pm)
			}
		}
		if r.Masters == 3 && (r.Balance.Commands.MaxShare < 0.95 || r.Balance.Commands.Within20 || r.Balance.BlobMemory.Within20) {
			t.Fatalf("unsharded on 3 masters should be all on one: %+v", r.Balance)
		}
	}
}

func TestSpreadAndRatioRange(t *testing.T) {
	if s := spread([]float64{100, 110, 90}); s.MaxOverMin != 1.222 || s.Within20 || s.MaxShare != 0.367 {
		t.Fatalf("spread %+v", s)
	}
	if s := spread([]float64{100, 110, 95}); !s.Within20 {
		t.Fatalf("spread %+v: 110/95 is within 20%%", s)
	}
	if s := spread([]float64{50, 0, 0}); s.MaxOverMin != 0 || s.Within20 || s.MaxShare != 1 {
		t.Fatalf("all on one master: %+v", s)
	}
	// 0 stands for ∞: above every ratio.
	if r := ratioRange([]float64{1.1, 0, 1.3}); r.Min != 1.1 || r.Median != 1.3 || r.Max != 0 {
		t.Fatalf("ratio range %+v", r)
	}
}
