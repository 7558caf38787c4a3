package bench

// Smoke tests of the bench harness on small sizes. They check what the
// benchmarks count (tasks done, samples taken, commands per refresh), never how
// fast anything ran: timings are for docs/BENCHMARKS.md, not for assertions.

import (
	"context"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
)

func TestBenchQueueHarness(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()

	r, err := throughput(ctx, rdb, throughputOptions{Queue: "tb", Tasks: 300, Workers: 2, Concurrency: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Tasks != 300 || r.TasksPerSec <= 0 {
		t.Fatalf("throughput result %+v", r)
	}
	if e := r.Enqueue; e.Tasks != 300 || e.TasksPerSec <= 0 || e.Server.ScriptCallsPerTask <= 0 {
		t.Fatalf("enqueue result %+v: want 300 tasks timed, with script calls counted", e)
	}
	// Every task was claimed and completed in scripts: some script calls, and
	// at least the two record writes per task inside them.
	if s := r.Server; s.ScriptCallsPerTask <= 0 || s.CommandsPerTask < 2 || len(s.ByCommand) == 0 {
		t.Fatalf("server cost %+v: want script calls and ≥ 2 commands per task", s)
	}
	done, _ := rdb.HGet(ctx, "tb:stats", "completed").Int()
	if done != 300 {
		t.Fatalf("completed counter %d, want 300 (every task acknowledged once)", done)
	}

	p, err := pickup(ctx, rdb, pickupOptions{Queue: "tb", Samples: 20, Workers: 1, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if p.Samples != 20 || p.P50MS <= 0 || p.P99MS < p.P50MS {
		t.Fatalf("pickup %+v", p)
	}

	rec, err := recovery(ctx, rdb, recoveryOptions{Queue: "tb", Lease: time.Second, Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Seconds) != 1 || rec.Seconds[0] < 0.5 {
		t.Fatalf("recovery %+v: a lapsed lease cannot be recovered before it lapses", rec)
	}
}

func TestBenchDashCountsCommandsPerRefresh(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	var per []float64
	for _, workers := range []int{1, 4} {
		for _, pending := range []int64{100, 5000} { // an empty queue reads no head for the latency: compare two non-empty ones
			p, err := dashStatsCost(ctx, rdb, "td", pending, workers, 10)
			if err != nil {
				t.Fatal(err)
			}
			per = append(per, p.CommandsPerCall)
		}
	}
	// Flat in the queue's length, linear in (busy) workers.
	if per[0] != per[1] || per[2] != per[3] {
		t.Fatalf("commands per refresh depend on queue length: %v", per)
	}
	if per[2] <= per[0] {
		t.Fatalf("commands per refresh should grow with workers: %v", per)
	}
	e, err := eventCapacity(ctx, rdb, "td", 2000, 500, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if e.DrainPerSec <= 0 || e.PacedConsumed != e.PacedProduced {
		t.Fatalf("events %+v", e)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	if got := Percentile(ds, .5); got != 3 {
		t.Fatalf("p50 = %v", got)
	}
	if got := Percentile(ds, .99); got != 5 {
		t.Fatalf("p99 = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Fatalf("median = %v", got)
	}
	before := map[string]int64{"hset": 1, "info": 3}
	after := map[string]int64{"hset": 4, "info": 9, "xadd": 2}
	if total, per := commandDelta(before, after); total != 5 || per["hset"] != 3 || per["info"] != 0 {
		t.Fatalf("delta %d %v", total, per)
	}
}

// serverCost splits commandstats deltas into the scripts' time and the commands
// they ran, per task, ignoring INFO and commands that did not run.
func TestServerCostPerTask(t *testing.T) {
	before := map[string]cmdStat{"evalsha": {calls: 10, usec: 100}, "hset": {calls: 50, usec: 40}, "info": {calls: 1, usec: 5}, "get": {calls: 3, usec: 3}}
	after := map[string]cmdStat{"evalsha": {calls: 14, usec: 300}, "hset": {calls: 90, usec: 80}, "info": {calls: 2, usec: 10}, "get": {calls: 3, usec: 3}}
	c := serverCost(before, after, 20)
	if c.ScriptUSPerTask != 10 || c.ScriptCallsPerTask != 0.2 || c.CommandsPerTask != 2 {
		t.Fatalf("cost %+v: want 10 µs in scripts, 0.2 script calls and 2 commands per task", c)
	}
	if len(c.ByCommand) != 2 || c.ByCommand[0].Command != "evalsha" || c.ByCommand[1].USPerTask != 2 {
		t.Fatalf("by command %+v: want evalsha then hset (2 µs a task), nothing for info or get", c.ByCommand)
	}
}
