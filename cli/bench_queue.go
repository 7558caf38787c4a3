package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/benchkit"
	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// ThroughputOptions shape a no-op throughput run.
type ThroughputOptions struct {
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
}

// ImgqThroughput fills a queue with no-op tasks, then starts the workers and times
// them until every task is acknowledged in Redis (the completed counter).
func ImgqThroughput(ctx context.Context, rdb redis.UniversalClient, o ThroughputOptions) (ThroughputResult, error) {
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
	if err := fillNoop(ctx, q, o.Tasks); err != nil {
		return res, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	noop := func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }
	var wg sync.WaitGroup
	bar := benchkit.NewProgress(o.Progress, fmt.Sprintf("imgq %d×%d no-op", o.Workers, o.Concurrency), int64(o.Tasks))
	cpu0 := benchkit.SelfCPU()
	var rcpu0 time.Duration
	if o.RedisPID > 0 {
		rcpu0, _ = benchkit.ProcCPU(o.RedisPID)
	}
	start := time.Now()
	for i := range o.Workers {
		w, err := workers.New(q, workers.Config{ID: fmt.Sprintf("bench-%d", i), Concurrency: o.Concurrency, Handler: noop, Grace: time.Second})
		if err != nil {
			return res, err
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(wctx) }()
	}
	done, err := waitCounter(ctx, rdb, q.Keys().Stats, "completed", int64(o.Tasks), bar)
	elapsed := time.Since(start)
	cpu1 := benchkit.SelfCPU()
	bar.Done()
	if o.RedisPID > 0 {
		rcpu1, _ := benchkit.ProcCPU(o.RedisPID)
		res.RedisCPU = (rcpu1 - rcpu0).Seconds() / elapsed.Seconds()
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

// fillNoop enqueues n tasks with a tiny payload in pipelined batches.
func fillNoop(ctx context.Context, q *queue.Queue, n int) error {
	const batch = 1000
	for i := 0; i < n; i += batch {
		ts := make([]queue.NewTask, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			ts = append(ts, queue.NewTask{Name: "noop", Payload: []byte(`{}`)})
		}
		if _, err := q.EnqueueBatch(ctx, ts); err != nil {
			return err
		}
	}
	return nil
}

// waitCounter polls a hash counter every 2 ms until it reaches want (or 5 minutes pass).
func waitCounter(ctx context.Context, rdb redis.UniversalClient, key, field string, want int64, bar *benchkit.Progress) (int64, error) {
	deadline := time.Now().Add(5 * time.Minute)
	var n int64
	for {
		v, err := rdb.HGet(ctx, key, field).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return n, err
		}
		n = v
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

// PickupOptions shape a pickup-latency run.
type PickupOptions struct {
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

// Summarize turns samples into a LatencyResult.
func Summarize(ds []time.Duration) LatencyResult {
	return LatencyResult{Samples: len(ds), P50MS: benchkit.MS(benchkit.Percentile(ds, .5)), P90MS: benchkit.MS(benchkit.Percentile(ds, .9)),
		P99MS: benchkit.MS(benchkit.Percentile(ds, .99)), MaxMS: benchkit.MS(benchkit.Percentile(ds, 1))}
}

// ImgqPickup measures enqueue → handler start with idle workers: one task at a
// time, each enqueued once the workers are back to blocking in Redis.
func ImgqPickup(ctx context.Context, rdb redis.UniversalClient, o PickupOptions) (LatencyResult, error) {
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
	bar := benchkit.NewProgress(o.Progress, "imgq pickup latency", int64(o.Samples))
	lat := make([]time.Duration, 0, o.Samples)
	for i := range o.Samples {
		t0 := time.Now()
		if _, _, err := q.Enqueue(ctx, queue.NewTask{Name: "ping", Payload: []byte(`{}`)}); err != nil {
			return Summarize(lat), err
		}
		select {
		case t1 := <-started:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			return Summarize(lat), errors.New("pickup: a task was not started within 10s")
		case <-ctx.Done():
			return Summarize(lat), ctx.Err()
		}
		bar.Set(int64(i + 1))
		// Idle again: let the ack land and the fetcher go back to BLPOP.
		time.Sleep(2 * time.Millisecond)
	}
	bar.Done()
	return Summarize(lat), nil
}

// RecoveryOptions shape a crash-recovery run.
type RecoveryOptions struct {
	Queue    string
	URL      string        // for the child worker process
	Lease    time.Duration // lease of the crashing worker's claims
	Runs     int
	Kill     bool // SIGKILL a real `imgq worker` child (needs the imgq binary); else claim and vanish in-process
	Progress io.Writer
}

// RecoveryResult is per-run restart delays, measured from the crash (SIGKILL, or
// the claim for the in-process simulation) to the handler start on another worker.
type RecoveryResult struct {
	Mode     string    `json:"mode"`
	LeaseS   float64   `json:"lease_s"`
	TargetS  float64   `json:"target_s"`
	Seconds  []float64 `json:"seconds"`
	MaxS     float64   `json:"max_s"`
	MedianS  float64   `json:"median_s"`
	WithinOK bool      `json:"within_target"`
}

// ImgqRecovery makes a worker die holding a task and times how long until a live
// worker (heartbeat 1s, which runs the queue's housekeeping) starts it again.
func ImgqRecovery(ctx context.Context, rdb redis.UniversalClient, o RecoveryOptions) (RecoveryResult, error) {
	res := RecoveryResult{Mode: "claim-and-vanish", LeaseS: o.Lease.Seconds(), TargetS: (o.Lease + time.Second).Seconds()}
	if o.Kill {
		res.Mode = "sigkill imgq worker"
	}
	q, err := queue.New(rdb, queue.Options{Name: o.Queue, Lease: o.Lease})
	if err != nil {
		return res, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return res, err
	}
	if err := q.LoadScripts(ctx); err != nil {
		return res, err
	}
	started := make(chan string, 16)
	rescuer, err := workers.New(q, workers.Config{ID: "rescuer", Concurrency: 4, Grace: time.Second,
		Handler: func(_ context.Context, t queue.Claimed) ([]byte, error) { started <- t.ID; return nil, nil }})
	if err != nil {
		return res, err
	}
	rescuer.SetPaused(true)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = rescuer.Run(wctx) }()
	defer wg.Wait()
	defer cancel()

	var task queue.NewTask
	if o.Kill {
		// A real image task, big enough that the child is still on it when killed.
		spec, _ := pipeline.Parse(workers.CourseFilters)
		task, err = workers.SampleTask(spec, 1920, 1080, 1, "crash.jpg")
		if err != nil {
			return res, err
		}
	}
	bar := benchkit.NewProgress(o.Progress, "crash recovery", int64(o.Runs))
	for run := range o.Runs {
		rescuer.SetPaused(true)
		var crashAt time.Time
		var id string
		if o.Kill {
			crashAt, id, err = crashChild(ctx, q, o, task, run)
		} else {
			id, _, err = q.Enqueue(ctx, queue.NewTask{Name: "crash", Payload: []byte(`{}`)})
			if err == nil {
				_, err = q.Claim(ctx, "ghost", 1) // claimed, never acknowledged, never heartbeated
				crashAt = time.Now()
			}
		}
		if err != nil {
			return res, err
		}
		rescuer.SetPaused(false)
		timeout := time.After(o.Lease + 30*time.Second)
	wait:
		for {
			select {
			case got := <-started:
				if got == id {
					d := time.Since(crashAt)
					res.Seconds = append(res.Seconds, d.Seconds())
					break wait
				}
			case <-timeout:
				return res, fmt.Errorf("task %s was not restarted within lease+30s", id)
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		bar.Set(int64(run + 1))
	}
	bar.Done()
	res.MedianS = benchkit.Median(res.Seconds)
	for _, s := range res.Seconds {
		res.MaxS = max(res.MaxS, s)
	}
	res.WithinOK = res.MaxS <= res.TargetS
	return res, nil
}

// crashChild starts `imgq worker` as a child, enqueues task (a fresh id each run),
// SIGKILLs the child as soon as it has claimed it, and returns the kill time.
func crashChild(ctx context.Context, q *queue.Queue, o RecoveryOptions, task queue.NewTask, run int) (time.Time, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return time.Time{}, "", err
	}
	dir, err := os.MkdirTemp("", "imgq-bench-crash-")
	if err != nil {
		return time.Time{}, "", err
	}
	defer os.RemoveAll(dir)
	wid := "doomed-" + strconv.Itoa(run)
	cmd := childWorker(ctx, exe, o.URL, "--queue", q.Name(), "--lease", o.Lease.String(),
		"--id", wid, "--output", dir, "--input", dir)
	if err := proc.Start(cmd); err != nil {
		return time.Time{}, "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Wait for the child to register, then give it the task.
	for i := 0; ; i++ {
		if n, _ := q.Client().ZScore(ctx, q.Keys().Workers, wid).Result(); n > 0 {
			break
		}
		if i > 500 {
			return time.Time{}, "", errors.New("child worker did not register within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	after, err := q.LastEventID(ctx)
	if err != nil {
		return time.Time{}, "", err
	}
	t := task
	t.ID = queue.NewID()
	if _, _, err := q.Enqueue(ctx, t); err != nil {
		return time.Time{}, "", err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, err := q.ReadEvents(ctx, after, 100, 200*time.Millisecond)
		if err != nil {
			return time.Time{}, "", err
		}
		for _, e := range evs {
			after = e.ID
			if e.Kind == queue.EventClaimed && e.Task == t.ID && e.Worker == wid {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL, TerminateProcess on Windows
					return time.Time{}, "", err
				}
				return time.Now(), t.ID, nil
			}
		}
	}
	return time.Time{}, "", errors.New("child worker did not claim the task within 10s")
}

type benchQueueFlags struct {
	tasks, workers, concurrency, reps, samples, recoveryRuns int
	recoveryLease                                            time.Duration
	simulate, asJSON                                         bool
	cpuProfile                                               string
}

// QueueReport is `imgq bench queue --json`.
type QueueReport struct {
	Machine    benchkit.Machine   `json:"machine"`
	Throughput []ThroughputResult `json:"throughput"`
	MedianTPS  float64            `json:"median_tasks_per_sec"`
	Pickup     LatencyResult      `json:"pickup"`
	Recovery   *RecoveryResult    `json:"recovery,omitempty"`
}

func newBenchQueueCmd(g *globals) *cobra.Command {
	f := &benchQueueFlags{}
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "No-op throughput, pickup latency of idle workers, and crash recovery time",
		Example: `  imgq bench queue                  # starts its own redis-server
  imgq bench queue --tasks 50000 --reps 5 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchQueue(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.tasks, "tasks", 20000, "no-op tasks per throughput repetition")
	fl.IntVar(&f.workers, "workers", 1, "worker instances")
	fl.IntVar(&f.concurrency, "concurrency", 50, "slots per worker")
	fl.IntVar(&f.reps, "reps", 3, "throughput repetitions (the median is reported)")
	fl.IntVar(&f.samples, "samples", 1000, "pickup latency samples")
	fl.IntVar(&f.recoveryRuns, "recovery-runs", 3, "crash recovery repetitions (0 skips)")
	fl.DurationVar(&f.recoveryLease, "recovery-lease", 2*time.Second, "lease used in the crash recovery runs")
	fl.BoolVar(&f.simulate, "simulate-crash", false, "simulate the crash in-process (claim, never ack) instead of SIGKILLing an imgq worker child")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the throughput runs to this file")
	return cmd
}

func runBenchQueue(ctx context.Context, g *globals, f *benchQueueFlags) error {
	silenceWorkerLogs()
	rdb, url, stop, err := g.benchRedis(ctx, f.workers*f.concurrency+32)
	if err != nil {
		return err
	}
	defer stop()
	rep := QueueReport{Machine: benchkit.DescribeMachine(ctx, rdb)}
	pid := redisPID(ctx, rdb)
	name := g.queueName + "-bench"
	var tps []float64
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pf.Close()
	}
	for range f.reps {
		r, err := ImgqThroughput(ctx, rdb, ThroughputOptions{Queue: name, Tasks: f.tasks, Workers: f.workers,
			Concurrency: f.concurrency, Progress: g.errOut, RedisPID: pid})
		if err != nil {
			return err
		}
		rep.Throughput = append(rep.Throughput, r)
		tps = append(tps, r.TasksPerSec)
	}
	if f.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	rep.MedianTPS = benchkit.Median(tps)
	if f.samples > 0 {
		rep.Pickup, err = ImgqPickup(ctx, rdb, PickupOptions{Queue: name, Samples: f.samples, Workers: f.workers,
			Concurrency: f.concurrency, Progress: g.errOut})
		if err != nil {
			return err
		}
	}
	if f.recoveryRuns > 0 {
		r, err := ImgqRecovery(ctx, rdb, RecoveryOptions{Queue: name, URL: url, Lease: f.recoveryLease,
			Runs: f.recoveryRuns, Kill: !f.simulate, Progress: g.errOut})
		if err != nil {
			return err
		}
		rep.Recovery = &r
	}
	_, _ = queueFlush(ctx, rdb, name)
	if f.asJSON {
		return printJSON(g.out, rep)
	}
	m := rep.Machine
	fmt.Fprintf(g.out, "machine: %d CPUs (%s), redis %s, %s, %s\n\n", m.CPUs, m.CPUModel, m.RedisVersion, m.GoVersion, m.Date)
	rows := [][]string{}
	for i, r := range rep.Throughput {
		rows = append(rows, []string{fmt.Sprintf("throughput #%d", i+1), fmt.Sprintf("%.0f tasks/s", r.TasksPerSec),
			fmt.Sprintf("%d tasks, %d×%d slots, %.2fs; CPU per task: redis %.1f µs, client %.1f µs", r.Tasks, r.Workers, r.Concurrency, r.Seconds, r.RedisUSPerTask, r.ClientUSPerTask)})
	}
	rows = append(rows, []string{"throughput (median)", fmt.Sprintf("%.0f tasks/s", rep.MedianTPS), ""})
	if f.samples > 0 {
		p := rep.Pickup
		rows = append(rows, []string{"pickup p50 / p99", fmt.Sprintf("%.3f / %.3f ms", p.P50MS, p.P99MS),
			fmt.Sprintf("%d samples, p90 %.3f ms, max %.3f ms; target p50 < 1 ms, p99 < 5 ms", p.Samples, p.P90MS, p.MaxMS)})
	}
	if r := rep.Recovery; r != nil {
		rows = append(rows, []string{"crash recovery (max)", fmt.Sprintf("%.2f s", r.MaxS),
			fmt.Sprintf("%s, runs %v s, lease %.1fs, target ≤ %.1fs: %v", r.Mode, roundAll(r.Seconds), r.LeaseS, r.TargetS, okWord(r.WithinOK))})
	}
	table(g.out, []string{"MEASURE", "RESULT", "DETAIL"}, rows)
	return nil
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(int(x*100+.5)) / 100
	}
	return out
}

func okWord(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// redisPID finds the server's pid when it runs on this machine (INFO process_id)
// and its CPU time can be read here (0 otherwise: no Redis CPU in the report).
func redisPID(ctx context.Context, rdb redis.UniversalClient) int {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(benchkit.InfoField(info, "process_id"))
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

// silenceWorkerLogs keeps go-redis and worker chatter off the bench's output.
func silenceWorkerLogs() { slog.SetDefault(slog.New(slog.DiscardHandler)) }

// childWorker is `imgq worker args...` as a child process on the Redis at url.
// The URL, which may hold a password, goes in the child's environment
// (REDIS_URL, the default of --redis), never on its command line, where any
// user of the machine can read it (ps, /proc/PID/cmdline).
func childWorker(ctx context.Context, exe, url string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, append([]string{"worker"}, args...)...)
	cmd.Env = append(os.Environ(), "REDIS_URL="+url)
	return cmd
}
