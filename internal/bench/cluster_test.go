package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/imgq/imgq/queue"
)

// One run of each (masters, shards). Unsharded, every figure lands on the
// master that holds the queue's slot (the imbalance sharding is for); in 3
// shards on 3 masters, each master holds one shard and does a share of the
// work and of the input bytes. Every task is acknowledged in every run.
func TestBenchClusterPerMaster(t *testing.T) {
	ctx := context.Background()
	const tasks, blobTasks, blobBytes = 300, 60, 5_000
	blobMB := float64(blobTasks*blobBytes) / 1e6
	rep, err := RunCluster(ctx, ClusterOptions{Queue: "tc", Masters: []int{1, 3}, Shards: []int{1, 3}, Tasks: tasks,
		Workers: 1, Concurrency: 8, BlobTasks: blobTasks, BlobBytes: blobBytes, Reps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 || len(rep.Summary) != 4 || rep.Summary[0].VsBaseline != 1 {
		t.Fatalf("want one run and one summary line per (masters, shards), the first the baseline: %d runs, %+v", len(rep.Runs), rep.Summary)
	}
	holder := queue.KeySlot("{tc}")
	for _, r := range rep.Runs {
		if len(r.PerMaster) != r.Masters || r.TasksPerSec <= 0 || r.RedisUSPerTask <= 0 {
			t.Fatalf("run %+v: want one figure per master, tasks/s and Redis CPU per task", r)
		}
		// Claim and complete run scripts with a few commands inside each.
		if r.CommandsPerTask < 2 || r.ScriptUSPerTask <= 0 {
			t.Fatalf("%d masters, %d shards: %.2f commands and %.2f µs of scripts per task", r.Masters, r.Shards, r.CommandsPerTask, r.ScriptUSPerTask)
		}
		// Redis rounds a string up to its allocator's size class: at least the bytes.
		if r.BlobMB < blobMB {
			t.Fatalf("%d masters, %d shards: used_memory grew %.3f MB for %.3f MB of input bytes", r.Masters, r.Shards, r.BlobMB, blobMB)
		}
		var shards int
		for _, pm := range r.PerMaster {
			shards += len(pm.Shards)
		}
		if shards != r.Shards {
			t.Fatalf("%d masters: %d (sub-)queues placed, want %d: %+v", r.Masters, shards, r.Shards, r.PerMaster)
		}
		switch {
		case r.Masters == 3 && r.Shards == 1:
			if r.Queue != "{tc}" {
				t.Fatalf("unsharded queue named %q", r.Queue)
			}
			for _, pm := range r.PerMaster {
				var lo, hi int
				if _, err := fmt.Sscanf(pm.Slots, "%d-%d", &lo, &hi); err != nil {
					t.Fatal(err)
				}
				if holder >= lo && holder <= hi {
					if len(pm.Shards) != 1 || pm.Commands < 2*tasks || pm.BlobMB < blobMB {
						t.Fatalf("master holding {tc}: %+v", pm)
					}
				} else if len(pm.Shards) != 0 || pm.Commands > tasks/10 || pm.BlobMB > blobMB/10 {
					t.Fatalf("a master without the queue's slot did its work: %+v", pm)
				}
			}
			if r.Balance.Commands.MaxShare < 0.95 || r.Balance.Commands.Within20 || r.Balance.BlobMemory.Within20 {
				t.Fatalf("unsharded on 3 masters should be all on one: %+v", r.Balance)
			}
		case r.Masters == 3 && r.Shards == 3:
			// Tasks go to shards by a hash of their ids: 300 and 60 of them
			// cannot all miss a master, nor pile up on one.
			for _, pm := range r.PerMaster {
				if len(pm.Shards) != 1 || pm.Commands < tasks/2 || pm.BlobMB < blobMB/10 {
					t.Fatalf("3 shards on 3 masters: a master with too small a share: %+v", pm)
				}
			}
			if r.Balance.Commands.MaxShare > 0.6 || r.Balance.BlobMemory.MaxShare > 0.6 {
				t.Fatalf("3 shards on 3 masters: %+v", r.Balance)
			}
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
