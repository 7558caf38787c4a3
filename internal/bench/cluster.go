package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// ClusterOptions shape `imgq bench cluster`: one queue over a Redis Cluster of
// 1 or more masters, unsharded or in shards (queue.Options.Shards).
type ClusterOptions struct {
	Queue       string // base name: "{Queue}" unsharded, queue.ShardNames(Queue, n) sharded
	Masters     []int  // cluster sizes, each a fresh cluster per run
	Shards      []int  // 1: one unsharded queue; n > 1: --shards n
	Tasks       int    // no-op tasks per run
	Workers     int    // workers.Worker instances in this process
	Concurrency int    // slots per worker
	BlobTasks   int    // tasks with input bytes enqueued after the workers' run (0 skips)
	BlobBytes   int    // input bytes per such task
	Reps        int    // runs of each (masters, shards)
	Progress    io.Writer
}

// ClusterReport is `imgq bench cluster --json`.
type ClusterReport struct {
	Machine      Machine          `json:"machine"`
	LoadAvgStart []float64        `json:"load_avg_start,omitempty"`
	LoadAvgEnd   []float64        `json:"load_avg_end,omitempty"`
	Options      ClusterSetup     `json:"setup"`
	Runs         []ClusterRun     `json:"runs"`
	Summary      []ClusterSummary `json:"summary"`
}

// ClusterSetup is what every run did (ClusterOptions without the writer).
type ClusterSetup struct {
	Tasks       int `json:"tasks"`
	Workers     int `json:"workers"`
	Concurrency int `json:"concurrency"`
	BlobTasks   int `json:"blob_tasks"`
	BlobBytes   int `json:"blob_bytes"`
	Reps        int `json:"reps"`
}

// ClusterRun is one run on a fresh cluster: no-op tasks enqueued and run to
// completion, then tasks with input bytes enqueued and left waiting.
type ClusterRun struct {
	Masters int    `json:"masters"`
	Shards  int    `json:"shards"` // 1: unsharded
	Queue   string `json:"queue"`
	Rep     int    `json:"rep"`
	Tasks   int    `json:"tasks"`
	// The workers' run: from their start until every task is acknowledged.
	Seconds     float64 `json:"seconds"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	// Per task, summed over the masters (INFO cpu and commandstats deltas):
	// what claiming and completing one task cost the whole cluster.
	RedisUSPerTask  float64 `json:"redis_cpu_us_per_task"`
	ClientUSPerTask float64 `json:"client_cpu_us_per_task"`
	CommandsPerTask float64 `json:"commands_per_task"`
	ScriptUSPerTask float64 `json:"script_us_per_task"`
	// The filling before: no-op tasks in batches (fillNoop).
	EnqueueTasksPerSec    float64 `json:"enqueue_tasks_per_sec"`
	EnqueueRedisUSPerTask float64 `json:"enqueue_redis_cpu_us_per_task"`
	// BlobMB is used_memory's growth over all masters while the tasks with
	// input bytes were enqueued.
	BlobMB    float64         `json:"blob_mb"`
	PerMaster []MasterFigures `json:"per_master"`
	Balance   ClusterBalance  `json:"balance"`
}

// MasterFigures is one master's part of a run.
type MasterFigures struct {
	Addr   string   `json:"addr"`
	Slots  string   `json:"slots"`
	Shards []string `json:"shards"` // the queue's (sub-)queues whose slot it holds
	// The workers' run.
	Commands        int64   `json:"commands"` // INFO commandstats calls, INFO itself excluded
	CommandsPerTask float64 `json:"commands_per_task"`
	ScriptUSPerTask float64 `json:"script_us_per_task"`
	CPUSeconds      float64 `json:"cpu_seconds"`
	RedisUSPerTask  float64 `json:"redis_cpu_us_per_task"`
	// ByCommand: where its commands and script time went, per task of the run.
	ByCommand []CommandCost `json:"by_command,omitempty"`
	// The filling with input bytes.
	BlobMB       float64 `json:"blob_mb"`        // used_memory growth
	UsedMemoryMB float64 `json:"used_memory_mb"` // after it
}

// ClusterBalance is how evenly the masters shared a run.
type ClusterBalance struct {
	Commands   Spread `json:"commands"`
	CPU        Spread `json:"cpu"`
	BlobMemory Spread `json:"blob_memory"`
}

// Spread compares the masters' shares of one figure.
type Spread struct {
	// MaxOverMin is the busiest master's figure over the idlest's (1: even);
	// 0 when the idlest had none.
	MaxOverMin float64 `json:"max_over_min"`
	MaxShare   float64 `json:"max_share"` // the busiest master's part of the total (1/masters: even)
	// Within20 is the target: max/min ≤ 1.2.
	Within20 bool `json:"within_20_percent"`
}

// spread computes a Spread of xs (one per master).
func spread(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	lo, hi, sum := xs[0], xs[0], 0.0
	for _, x := range xs {
		lo, hi, sum = min(lo, x), max(hi, x), sum+x
	}
	var s Spread
	if lo > 0 {
		s.MaxOverMin = round3(hi / lo)
		s.Within20 = hi/lo <= 1.2
	}
	if sum > 0 {
		s.MaxShare = round3(hi / sum)
	}
	return s
}

// RunCluster runs o.Reps rounds; each round runs every (masters, shards) once,
// each on a fresh cluster, so the machine's load drifts over all of them alike.
func RunCluster(ctx context.Context, o ClusterOptions) (ClusterReport, error) {
	o.Workers, o.Concurrency, o.Reps = max(o.Workers, 1), max(o.Concurrency, 1), max(o.Reps, 1)
	rep := ClusterReport{Machine: localMachine(), LoadAvgStart: loadAvg(), Options: ClusterSetup{Tasks: o.Tasks,
		Workers: o.Workers, Concurrency: o.Concurrency, BlobTasks: o.BlobTasks, BlobBytes: o.BlobBytes, Reps: o.Reps}}
	for r := range o.Reps {
		for _, m := range o.Masters {
			for _, n := range o.Shards {
				run, err := clusterRun(ctx, o, m, max(n, 1), r+1)
				if err != nil {
					return rep, fmt.Errorf("%d masters, %d shards, run %d: %w", m, n, r+1, err)
				}
				rep.Runs = append(rep.Runs, run)
			}
		}
	}
	rep.Summary = summarizeCluster(rep.Runs)
	rep.LoadAvgEnd = loadAvg()
	return rep, nil
}

// clusterRun measures one queue on a fresh cluster of m masters.
func clusterRun(ctx context.Context, o ClusterOptions, m, shards, rep int) (ClusterRun, error) {
	run := ClusterRun{Masters: m, Shards: shards, Rep: rep, Tasks: o.Tasks}
	lc, err := startCluster(ctx, m)
	if err != nil {
		return run, err
	}
	defer lc.Close()
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: lc.addrs(), PoolSize: o.Workers*o.Concurrency + 32})
	defer cl.Close()
	qo := queue.Options{Name: "{" + o.Queue + "}"}
	if shards > 1 {
		qo = queue.Options{Name: o.Queue, Shards: shards}
	}
	run.Queue = qo.Name
	q, err := queue.New(cl, qo)
	if err != nil {
		return run, err
	}
	subs := []string{q.Name()} // where the completed counters are
	if sh := q.Shards(); len(sh) > 0 {
		subs = subs[:0]
		for _, s := range sh {
			subs = append(subs, s.Name())
		}
	}
	if err := q.LoadScripts(ctx); err != nil {
		return run, fmt.Errorf("load scripts: %w", err)
	}
	run.PerMaster = lc.describe(subs)

	r0, err := lc.read(ctx)
	if err != nil {
		return run, err
	}
	enq, err := fillNoop(ctx, cl, q, o.Tasks, 0)
	if err != nil {
		return run, fmt.Errorf("enqueue: %w", err)
	}
	r1, err := lc.read(ctx)
	if err != nil {
		return run, err
	}
	run.EnqueueTasksPerSec = enq.TasksPerSec
	run.EnqueueRedisUSPerTask = perTaskUS(cpuDelta(r0, r1), o.Tasks)

	label := configLabel(m, shards)
	elapsed, clientCPU, r2, err := runNoopWorkers(ctx, cl, q, lc, subs, o, label)
	if err != nil {
		return run, err
	}
	run.Seconds = elapsed.Seconds()
	run.TasksPerSec = float64(o.Tasks) / run.Seconds
	run.ClientUSPerTask = perTaskUS(clientCPU, o.Tasks)
	var cmds, cpus []float64
	for i := range run.PerMaster {
		pm := &run.PerMaster[i]
		c := serverCost(r1[i].cmds, r2[i].cmds, o.Tasks)
		pm.Commands = commandsRun(r1[i].cmds, r2[i].cmds)
		pm.CommandsPerTask, pm.ScriptUSPerTask, pm.ByCommand = c.CommandsPerTask, c.ScriptUSPerTask, c.ByCommand
		d := r2[i].cpu - r1[i].cpu
		pm.CPUSeconds = round3(d.Seconds())
		pm.RedisUSPerTask = perTaskUS(d, o.Tasks)
		run.CommandsPerTask += c.CommandsPerTask
		run.ScriptUSPerTask += c.ScriptUSPerTask
		cmds, cpus = append(cmds, float64(pm.Commands)), append(cpus, d.Seconds())
	}
	run.CommandsPerTask, run.ScriptUSPerTask = round3(run.CommandsPerTask), round3(run.ScriptUSPerTask)
	run.RedisUSPerTask = perTaskUS(cpuDelta(r1, r2), o.Tasks)
	run.Balance.Commands, run.Balance.CPU = spread(cmds), spread(cpus)

	if o.BlobTasks > 0 {
		r3, err := lc.read(ctx)
		if err != nil {
			return run, err
		}
		if err := fillBlobs(ctx, q, o.BlobTasks, o.BlobBytes, o.Progress, label); err != nil {
			return run, fmt.Errorf("enqueue with input bytes: %w", err)
		}
		r4, err := lc.read(ctx)
		if err != nil {
			return run, err
		}
		var mem []float64
		for i := range run.PerMaster {
			d := float64(r4[i].usedMemory-r3[i].usedMemory) / 1e6
			run.PerMaster[i].BlobMB = round3(d)
			run.PerMaster[i].UsedMemoryMB = round3(float64(r4[i].usedMemory) / 1e6)
			run.BlobMB += d
			mem = append(mem, max(d, 0))
		}
		run.BlobMB = round3(run.BlobMB)
		run.Balance.BlobMemory = spread(mem)
	}
	return run, nil
}

// runNoopWorkers starts the workers on a filled queue and times them until the
// completed counters of its sub-queues add up to o.Tasks; the masters are read
// at that moment, before the workers stop.
func runNoopWorkers(ctx context.Context, cl redis.UniversalClient, q *queue.Queue, lc *localCluster, subs []string,
	o ClusterOptions, label string) (time.Duration, time.Duration, []masterReading, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel (deferred later, runs first)
	defer cancel()
	noop := func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }
	bar := NewProgress(o.Progress, label+" no-op", int64(o.Tasks))
	cpu0 := SelfCPU()
	start := time.Now()
	for i := range o.Workers {
		w, err := workers.New(q, workers.Config{ID: fmt.Sprintf("bench-%d", i), Concurrency: o.Concurrency, Handler: noop, Grace: time.Second})
		if err != nil {
			return 0, 0, nil, err
		}
		wg.Go(func() { _ = w.Run(wctx) })
	}
	stats := make([]string, len(subs))
	for i, s := range subs {
		stats[i] = queue.NewKeys(s).Stats
	}
	done, err := waitCounter(ctx, cl, stats, "completed", int64(o.Tasks), bar)
	elapsed, cpu := time.Since(start), SelfCPU()-cpu0
	if err != nil {
		return 0, 0, nil, fmt.Errorf("after %d of %d tasks: %w", done, o.Tasks, err)
	}
	r, err := lc.read(ctx)
	bar.Done()
	return elapsed, cpu, r, err
}

// fillBlobs enqueues n tasks carrying size input bytes each, 20 a batch.
func fillBlobs(ctx context.Context, q *queue.Queue, n, size int, progress io.Writer, label string) error {
	const batch = 20
	blob := make([]byte, size)
	for i := range blob {
		blob[i] = byte(i*7 + i>>8) // not all zeros; Redis stores strings as they are anyway
	}
	bar := NewProgress(progress, label+" blobs", int64(n))
	for i := 0; i < n; i += batch {
		ts := make([]queue.NewTask, 0, batch)
		for range min(batch, n-i) {
			ts = append(ts, queue.NewTask{Name: "blob", Payload: []byte(`{}`), Blob: blob})
		}
		if _, err := q.EnqueueBatch(ctx, ts); err != nil {
			return err
		}
		bar.Set(int64(i + len(ts)))
	}
	bar.Done()
	return nil
}

func shardLabel(n int) string {
	if n <= 1 {
		return "unsharded"
	}
	return fmt.Sprintf("%d shards", n)
}

func perTaskUS(d time.Duration, tasks int) float64 {
	if tasks <= 0 {
		return 0
	}
	return round3(float64(d.Microseconds()) / float64(tasks))
}
