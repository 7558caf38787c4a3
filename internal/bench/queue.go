package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// throughputOptions shape a no-op throughput run.
type throughputOptions struct {
	Queue       string    // queue name; flushed first
	Tasks       int       // enqueued before the clock starts
	Workers     int       // workers.Worker instances in this process
	Concurrency int       // slots per worker (Workers×Concurrency handlers at once)
	Progress    io.Writer // nil: no bar
	RedisPID    int       // >0: also report the redis-server's CPU use
}

// ThroughputResult is one run.
type ThroughputResult struct {
	Tasks       int     `json:"tasks"`
	Workers     int     `json:"workers"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	RedisCPU    float64 `json:"redis_cpu_cores,omitempty"` // cores the server used on average
	ClientCPU   float64 `json:"client_cpu_cores,omitempty"`
	// CPU time per task: steadier than tasks/s on a shared machine, since another
	// job's load stretches the wall clock but not the work done per task.
	RedisUSPerTask  float64 `json:"redis_cpu_us_per_task,omitempty"`
	ClientUSPerTask float64 `json:"client_cpu_us_per_task,omitempty"`
	// Server is INFO commandstats over the same window: the scripts' own time
	// and the commands they ran, per task.
	Server ServerCost `json:"server"`
	// Enqueue is the filling of the queue before the clock starts: no-op tasks
	// in EnqueueBatch calls of EnqueueBatchSize.
	Enqueue EnqueueResult `json:"enqueue"`
}

// EnqueueResult is how fast no-op tasks went in, in batches.
type EnqueueResult struct {
	Tasks           int        `json:"tasks"`
	BatchSize       int        `json:"batch_size"`
	Producers       int        `json:"producers"` // goroutines calling EnqueueBatch at once
	Seconds         float64    `json:"seconds"`
	TasksPerSec     float64    `json:"tasks_per_sec"`
	RedisUSPerTask  float64    `json:"redis_cpu_us_per_task,omitempty"` // /proc of redis-server
	ClientUSPerTask float64    `json:"client_cpu_us_per_task,omitempty"`
	Server          ServerCost `json:"server"` // INFO commandstats
}

// throughput fills a queue with no-op tasks, then starts the workers and times
// them until every task is acknowledged in Redis (the completed counter).
func throughput(ctx context.Context, rdb redis.UniversalClient, o throughputOptions) (ThroughputResult, error) {
	o.Workers = max(o.Workers, 1)
	o.Concurrency = max(o.Concurrency, 1)
	res := ThroughputResult{Tasks: o.Tasks, Workers: o.Workers, Concurrency: o.Concurrency}
	q, err := queue.New(rdb, queue.Options{Name: o.Queue})
	if err != nil {
		return res, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return res, err
	}
	if err := q.LoadScripts(ctx); err != nil {
		return res, err
	}
	if res.Enqueue, err = fillNoop(ctx, rdb, q, o.Tasks, o.RedisPID); err != nil {
		return res, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	noop := func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }
	var wg sync.WaitGroup
	bar := NewProgress(o.Progress, fmt.Sprintf("imgq %d×%d no-op", o.Workers, o.Concurrency), int64(o.Tasks))
	cpu0 := SelfCPU()
	var rcpu0 time.Duration
	if o.RedisPID > 0 {
		rcpu0, _ = ProcCPU(o.RedisPID)
	}
	cs0, _ := commandStats(ctx, rdb)
	start := time.Now()
	for i := range o.Workers {
		w, err := workers.New(q, workers.Config{ID: fmt.Sprintf("bench-%d", i), Concurrency: o.Concurrency, Handler: noop, Grace: time.Second})
		if err != nil {
			return res, err
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(wctx) }()
	}
	done, err := waitCounter(ctx, rdb, []string{q.Keys().Stats}, "completed", int64(o.Tasks), bar)
	elapsed := time.Since(start)
	cpu1 := SelfCPU()
	var rcpu1 time.Duration
	if o.RedisPID > 0 {
		rcpu1, _ = ProcCPU(o.RedisPID)
	}
	cs1, _ := commandStats(ctx, rdb)
	bar.Done()
	if o.RedisPID > 0 {
		res.RedisCPU = (rcpu1 - rcpu0).Seconds() / elapsed.Seconds()
	}
	if cs0 != nil && cs1 != nil {
		res.Server = serverCost(cs0, cs1, o.Tasks)
	}
	res.ClientCPU = (cpu1 - cpu0).Seconds() / elapsed.Seconds()
	cancel()
	wg.Wait()
	if err != nil {
		return res, fmt.Errorf("after %d of %d tasks: %w", done, o.Tasks, err)
	}
	res.Seconds = elapsed.Seconds()
	res.TasksPerSec = float64(o.Tasks) / elapsed.Seconds()
	res.RedisUSPerTask = res.RedisCPU * res.Seconds * 1e6 / float64(o.Tasks)
	res.ClientUSPerTask = res.ClientCPU * res.Seconds * 1e6 / float64(o.Tasks)
	return res, nil
}

// EnqueueBatchSize is the number of no-op tasks per EnqueueBatch call when
// the throughput runs fill the queue (the queue splits each call into script
// calls of its own size, pipelined in one round trip).
const EnqueueBatchSize = 1000

// enqueueProducers is the number of goroutines calling EnqueueBatch at once.
const enqueueProducers = 2

// fillNoop enqueues n tasks with a tiny payload in batches and times it.
func fillNoop(ctx context.Context, rdb redis.UniversalClient, q *queue.Queue, n, redisPID int) (EnqueueResult, error) {
	res := EnqueueResult{Tasks: n, BatchSize: EnqueueBatchSize, Producers: enqueueProducers}
	batches := make([][]queue.NewTask, 0, n/EnqueueBatchSize+1)
	for i := 0; i < n; i += EnqueueBatchSize {
		ts := make([]queue.NewTask, 0, EnqueueBatchSize)
		for j := i; j < min(i+EnqueueBatchSize, n); j++ {
			ts = append(ts, queue.NewTask{Name: "noop", Payload: []byte(`{}`)})
		}
		batches = append(batches, ts)
	}
	var rcpu0, rcpu1 time.Duration
	if redisPID > 0 {
		rcpu0, _ = ProcCPU(redisPID)
	}
	cs0, _ := commandStats(ctx, rdb)
	cpu0 := SelfCPU()
	start := time.Now()
	// Two producers, so Redis runs one batch while the other is built and
	// sent, as two `imgq enqueue` processes (or one pipelining client) would.
	next := make(chan []queue.NewTask)
	errs := make(chan error, enqueueProducers)
	var wg sync.WaitGroup
	for range enqueueProducers {
		wg.Go(func() {
			for ts := range next {
				if _, err := q.EnqueueBatch(ctx, ts); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var ferr error
feed:
	for _, ts := range batches {
		select {
		case next <- ts:
		case ferr = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if ferr == nil && len(errs) > 0 {
		ferr = <-errs
	}
	if ferr != nil {
		return res, ferr
	}
	cpu1 := SelfCPU()
	if redisPID > 0 {
		rcpu1, _ = ProcCPU(redisPID)
	}
	cs1, _ := commandStats(ctx, rdb)
	if n == 0 {
		return res, nil
	}
	res.Seconds = elapsed.Seconds()
	res.TasksPerSec = float64(n) / res.Seconds
	res.RedisUSPerTask = float64((rcpu1 - rcpu0).Microseconds()) / float64(n)
	res.ClientUSPerTask = float64((cpu1 - cpu0).Microseconds()) / float64(n)
	if cs0 != nil && cs1 != nil {
		res.Server = serverCost(cs0, cs1, n)
	}
	return res, nil
}

// waitCounter polls a counter of hashes (summed over keys: one queue's stats,
// or each sub-queue's) every 2 ms until it reaches want (or 5 minutes pass).
func waitCounter(ctx context.Context, rdb redis.UniversalClient, keys []string, field string, want int64, bar *Progress) (int64, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var n int64
		for _, key := range keys {
			v, err := rdb.HGet(ctx, key, field).Int64()
			if err != nil && !errors.Is(err, redis.Nil) {
				return n, err
			}
			n += v
		}
		bar.Set(n)
		if n >= want {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// pickupOptions shape a pickup-latency run.
type pickupOptions struct {
	Queue       string
	Samples     int
	Workers     int
	Concurrency int
	Progress    io.Writer
}

// LatencyResult summarises samples.
type LatencyResult struct {
	Samples int     `json:"samples"`
	P50MS   float64 `json:"p50_ms"`
	P90MS   float64 `json:"p90_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
}

// summarizeLatency turns samples into a LatencyResult.
func summarizeLatency(ds []time.Duration) LatencyResult {
	return LatencyResult{Samples: len(ds), P50MS: MS(Percentile(ds, .5)), P90MS: MS(Percentile(ds, .9)),
		P99MS: MS(Percentile(ds, .99)), MaxMS: MS(Percentile(ds, 1))}
}

// pickup measures enqueue → handler start with idle workers: one task at a
// time, each enqueued once the workers are back to blocking in Redis.
func pickup(ctx context.Context, rdb redis.UniversalClient, o pickupOptions) (LatencyResult, error) {
	q, err := queue.New(rdb, queue.Options{Name: o.Queue})
	if err != nil {
		return LatencyResult{}, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return LatencyResult{}, err
	}
	if err := q.LoadScripts(ctx); err != nil {
		return LatencyResult{}, err
	}
	started := make(chan time.Time, 1)
	h := func(context.Context, queue.Claimed) ([]byte, error) {
		started <- time.Now()
		return nil, nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range max(o.Workers, 1) {
		w, err := workers.New(q, workers.Config{ID: fmt.Sprintf("pickup-%d", i), Concurrency: max(o.Concurrency, 1), Handler: h, Grace: time.Second})
		if err != nil {
			return LatencyResult{}, err
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(wctx) }()
	}
	defer wg.Wait()
	defer cancel()
	time.Sleep(100 * time.Millisecond) // let them register and block
	bar := NewProgress(o.Progress, "imgq pickup latency", int64(o.Samples))
	lat := make([]time.Duration, 0, o.Samples)
	for i := range o.Samples {
		t0 := time.Now()
		if _, _, err := q.Enqueue(ctx, queue.NewTask{Name: "ping", Payload: []byte(`{}`)}); err != nil {
			return summarizeLatency(lat), err
		}
		select {
		case t1 := <-started:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			return summarizeLatency(lat), errors.New("pickup: a task was not started within 10s")
		case <-ctx.Done():
			return summarizeLatency(lat), ctx.Err()
		}
		bar.Set(int64(i + 1))
		// Idle again: let the ack land and the fetcher go back to BLPOP.
		time.Sleep(2 * time.Millisecond)
	}
	bar.Done()
	return summarizeLatency(lat), nil
}

// QueueOptions shape `imgq bench queue`.
type QueueOptions struct {
	Queue         string // base name; the runs use Queue+"-bench"
	URL           string // of rdb, for the crashing child worker
	Tasks         int    // no-op tasks per throughput repetition
	Workers       int
	Concurrency   int
	Reps          int           // throughput repetitions
	Samples       int           // pickup latency samples (0 skips)
	RecoveryRuns  int           // crash recovery repetitions (0 skips)
	RecoveryLease time.Duration // lease of the crashing worker's claims
	SimulateCrash bool          // claim and vanish in-process instead of SIGKILLing an imgq worker child
	CPUProfile    string        // a file for a CPU profile of the throughput runs
	Progress      io.Writer
}

// QueueReport is `imgq bench queue --json`.
type QueueReport struct {
	Machine    Machine            `json:"machine"`
	Throughput []ThroughputResult `json:"throughput"`
	MedianTPS  float64            `json:"median_tasks_per_sec"`
	// MedianEnqueue is the median of the throughput runs' Enqueue.TasksPerSec.
	MedianEnqueue float64         `json:"median_enqueue_tasks_per_sec"`
	Pickup        LatencyResult   `json:"pickup"`
	Recovery      *RecoveryResult `json:"recovery,omitempty"`
}

// RunQueue measures no-op throughput, the pickup latency of idle workers and
// crash recovery time on rdb.
func RunQueue(ctx context.Context, rdb redis.UniversalClient, o QueueOptions) (QueueReport, error) {
	rep := QueueReport{Machine: DescribeMachine(ctx, rdb)}
	name := o.Queue + "-bench"
	var err error
	if rep.Throughput, rep.MedianTPS, err = throughputReps(ctx, rdb, name, o); err != nil {
		return rep, err
	}
	var enq []float64
	for _, r := range rep.Throughput {
		enq = append(enq, r.Enqueue.TasksPerSec)
	}
	rep.MedianEnqueue = Median(enq)
	if o.Samples > 0 {
		rep.Pickup, err = pickup(ctx, rdb, pickupOptions{Queue: name, Samples: o.Samples, Workers: o.Workers,
			Concurrency: o.Concurrency, Progress: o.Progress})
		if err != nil {
			return rep, err
		}
	}
	if o.RecoveryRuns > 0 {
		r, err := recovery(ctx, rdb, recoveryOptions{Queue: name, URL: o.URL, Lease: o.RecoveryLease,
			Runs: o.RecoveryRuns, Kill: !o.SimulateCrash, Progress: o.Progress})
		if err != nil {
			return rep, err
		}
		rep.Recovery = &r
	}
	_, _ = queueFlush(ctx, rdb, name)
	return rep, nil
}

// throughputReps runs o.Reps throughput measurements (under a CPU profile if
// asked) and returns them with their median tasks/s.
func throughputReps(ctx context.Context, rdb redis.UniversalClient, name string, o QueueOptions) ([]ThroughputResult, float64, error) {
	if o.CPUProfile != "" {
		pf, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, 0, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	pid := redisPID(ctx, rdb)
	var rs []ThroughputResult
	var tps []float64
	for range o.Reps {
		r, err := throughput(ctx, rdb, throughputOptions{Queue: name, Tasks: o.Tasks, Workers: o.Workers,
			Concurrency: o.Concurrency, Progress: o.Progress, RedisPID: pid})
		if err != nil {
			return rs, 0, err
		}
		rs = append(rs, r)
		tps = append(tps, r.TasksPerSec)
	}
	return rs, Median(tps), nil
}

// WriteTable prints the report as the command's table.
func (rep QueueReport) WriteTable(w io.Writer) {
	writeMachine(w, rep.Machine)
	rows := [][]string{}
	for i, r := range rep.Throughput {
		rows = append(rows, []string{fmt.Sprintf("throughput #%d", i+1), fmt.Sprintf("%.0f tasks/s", r.TasksPerSec),
			fmt.Sprintf("%d tasks, %d×%d slots, %.2fs; CPU per task: redis %.1f µs, client %.1f µs; in scripts %.1f µs, %.2f commands, %.3f script calls",
				r.Tasks, r.Workers, r.Concurrency, r.Seconds, r.RedisUSPerTask, r.ClientUSPerTask,
				r.Server.ScriptUSPerTask, r.Server.CommandsPerTask, r.Server.ScriptCallsPerTask)})
	}
	rows = append(rows, []string{"throughput (median)", fmt.Sprintf("%.0f tasks/s", rep.MedianTPS), ""})
	for i, r := range rep.Throughput {
		e := r.Enqueue
		rows = append(rows, []string{fmt.Sprintf("enqueue #%d", i+1), fmt.Sprintf("%.0f tasks/s", e.TasksPerSec),
			fmt.Sprintf("%d no-op tasks in batches of %d from %d producers, %.2fs; CPU per task: redis %.1f µs, client %.1f µs; in scripts %.1f µs, %.2f commands",
				e.Tasks, e.BatchSize, e.Producers, e.Seconds, e.RedisUSPerTask, e.ClientUSPerTask, e.Server.ScriptUSPerTask, e.Server.CommandsPerTask)})
	}
	rows = append(rows, []string{"enqueue (median)", fmt.Sprintf("%.0f tasks/s", rep.MedianEnqueue), "target ≥ 100,000 tasks/s in batches"})
	if p := rep.Pickup; p.Samples > 0 {
		rows = append(rows, []string{"pickup p50 / p99", fmt.Sprintf("%.3f / %.3f ms", p.P50MS, p.P99MS),
			fmt.Sprintf("%d samples, p90 %.3f ms, max %.3f ms; target p50 < 1 ms, p99 < 5 ms", p.Samples, p.P90MS, p.MaxMS)})
	}
	if r := rep.Recovery; r != nil {
		rows = append(rows, []string{"crash recovery (max)", fmt.Sprintf("%.2f s", r.MaxS),
			fmt.Sprintf("%s, runs %v s, lease %.1fs, target ≤ %.1fs: %v", r.Mode, roundAll(r.Seconds), r.LeaseS, r.TargetS, okWord(r.WithinOK))})
	}
	table(w, []string{"MEASURE", "RESULT", "DETAIL"}, rows)
}

// redisPID finds the server's pid when it runs on this machine (INFO process_id)
// and its CPU time can be read here (0 otherwise: no Redis CPU in the report).
func redisPID(ctx context.Context, rdb redis.UniversalClient) int {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(infoField(info, "process_id"))
	if pid > 0 {
		if _, err := proc.ProcessCPU(pid); err != nil {
			return 0
		}
	}
	return pid
}

func queueFlush(ctx context.Context, rdb redis.UniversalClient, name string) (int64, error) {
	q, err := queue.New(rdb, queue.Options{Name: name})
	if err != nil {
		return 0, err
	}
	return q.Flush(ctx)
}
