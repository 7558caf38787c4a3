// Command queuebench runs imgq and hibiken/asynq side by side on the same
// redis-server in the same run: no-op throughput with the same number of handler
// slots, and pickup latency of idle workers. It prints each repetition, the
// medians, and the ratio imgq/asynq measured rep by rep (machines here are noisy;
// ratios from one run hold where absolute numbers drift).
//
//	cd bench && go run ./cmd/queuebench              # starts its own redis-server
//	cd bench && go run ./cmd/queuebench -json -reps 5
//
// It lives in its own module so that asynq never enters imgq's go.mod. The imgq
// side is measured by the very code of `imgq bench queue` (built from the parent
// module and run against the same server), so the two commands cannot disagree.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/internal/redisserver"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

type report struct {
	Machine      bench.Machine      `json:"machine"`
	AsynqVersion string             `json:"asynq_version"`
	Concurrency  int                `json:"concurrency"`
	Tasks        int                `json:"tasks"`
	AsynqTasks   int                `json:"asynq_tasks"`
	Imgq         []throughputResult `json:"imgq"`
	Asynq        []throughputResult `json:"asynq"`
	Ratios       []float64          `json:"ratios"`
	ImgqMedian   float64            `json:"imgq_median_tasks_per_sec"`
	AsynqMedian  float64            `json:"asynq_median_tasks_per_sec"`
	RatioMedian  float64            `json:"ratio_median"`
	ImgqPickup   latencyResult      `json:"imgq_pickup"`
	AsynqPickup  latencyResult      `json:"asynq_pickup"`
	RawLPushLPop string             `json:"raw_redis_benchmark,omitempty"`
}

const asynqVersion = "v0.26.0" // keep in step with go.mod

func main() {
	var (
		url          = flag.String("redis", "", "Redis URL (default: start a private redis-server on a free loopback port)")
		tasks        = flag.Int("tasks", 20000, "imgq no-op tasks per repetition")
		asynqTasks   = flag.Int("asynq-tasks", 10000, "asynq no-op tasks per repetition (it is slower; fewer keep the run short)")
		conc         = flag.Int("concurrency", 50, "handler slots for both queues")
		reps         = flag.Int("reps", 3, "repetitions; medians and the median ratio are reported")
		samples      = flag.Int("samples", 1000, "imgq pickup latency samples")
		asynqSamples = flag.Int("asynq-samples", 20, "asynq pickup latency samples (each waits for its poll, ~0.5 s)")
		raw          = flag.Bool("raw", true, "also run redis-benchmark -c 50 (LPUSH/LPOP) for the raw ceiling")
		asJSON       = flag.Bool("json", false, "print JSON")
	)
	flag.Parse()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *tasks, *asynqTasks, *conc, *reps, *samples, *asynqSamples, *raw, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "queuebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, tasks, asynqTasks, conc, reps, samples, asynqSamples int, raw, asJSON bool) error {
	imgq, cleanup, err := buildImgq(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	if url == "" {
		srv, err := redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return err
		}
		defer srv.Close()
		url = srv.URL()
		fmt.Fprintf(os.Stderr, "queuebench: started redis-server at %s\n", srv.Addr())
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	opt.PoolSize = conc + 32
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return err
	}
	pid := redisPID(ctx, rdb)
	rep := report{Machine: bench.DescribeMachine(ctx, rdb), AsynqVersion: asynqVersion, Concurrency: conc, Tasks: tasks, AsynqTasks: asynqTasks}
	aopt := asynq.RedisClientOpt{Addr: opt.Addr, Password: opt.Password, DB: opt.DB, PoolSize: conc + 32}
	var it, at []float64
	for i := range reps {
		var q imgqQueueReport
		if err := runImgq(ctx, imgq, url, &q, "--tasks", fmt.Sprint(tasks), "--concurrency", fmt.Sprint(conc),
			"--reps", "1", "--samples", "0", "--recovery-runs", "0"); err != nil {
			return fmt.Errorf("imgq rep %d: %w", i+1, err)
		}
		if len(q.Throughput) != 1 {
			return fmt.Errorf("imgq rep %d: no throughput in its report", i+1)
		}
		r := q.Throughput[0]
		a, err := asynqThroughput(ctx, aopt, asynqTasks, conc, pid)
		if err != nil {
			return fmt.Errorf("asynq rep %d: %w", i+1, err)
		}
		rep.Imgq = append(rep.Imgq, r)
		rep.Asynq = append(rep.Asynq, a)
		rep.Ratios = append(rep.Ratios, r.TasksPerSec/a.TasksPerSec)
		it = append(it, r.TasksPerSec)
		at = append(at, a.TasksPerSec)
	}
	rep.ImgqMedian, rep.AsynqMedian, rep.RatioMedian = bench.Median(it), bench.Median(at), bench.Median(rep.Ratios)
	if samples > 0 {
		var q imgqQueueReport
		if err := runImgq(ctx, imgq, url, &q, "--reps", "0", "--samples", fmt.Sprint(samples),
			"--concurrency", fmt.Sprint(conc), "--recovery-runs", "0"); err != nil {
			return fmt.Errorf("imgq pickup: %w", err)
		}
		rep.ImgqPickup = q.Pickup
	}
	if asynqSamples > 0 {
		if rep.AsynqPickup, err = asynqPickup(ctx, aopt, asynqSamples, conc); err != nil {
			return err
		}
	}
	if raw {
		rep.RawLPushLPop = rawBenchmark(opt.Addr, conc)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(os.Stdout, rep)
	return nil
}

func printReport(w io.Writer, r report) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), redis %s, %s, asynq %s, %s\n", m.CPUs, m.CPUModel, m.RedisVersion, m.GoVersion, r.AsynqVersion, m.Date)
	fmt.Fprintf(w, "no-op tasks (imgq %d, asynq %d per rep), %d handler slots each (imgq: 1 worker × %d; asynq: Concurrency %d), same redis-server\n\n", r.Tasks, r.AsynqTasks, r.Concurrency, r.Concurrency, r.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REP\tIMGQ TASKS/S\tASYNQ TASKS/S\tRATIO\tCPU µs/TASK imgq (redis+client)\timgq SCRIPTS µs/TASK (commandstats)\tCPU µs/TASK asynq (redis+client)")
	for i := range r.Imgq {
		a, b := r.Imgq[i], r.Asynq[i]
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.1f×\t%.1f + %.1f\t%.1f\t%.0f + %.0f\n", i+1, a.TasksPerSec, b.TasksPerSec, r.Ratios[i],
			a.RedisUSPerTask, a.ClientUSPerTask, a.Server.ScriptUSPerTask, b.RedisUSPerTask, b.ClientUSPerTask)
	}
	fmt.Fprintf(tw, "median\t%.0f\t%.0f\t%.1f×\t(target ≥ 10×)\n", r.ImgqMedian, r.AsynqMedian, r.RatioMedian)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PICKUP (idle workers)\tSAMPLES\tP50 ms\tP90 ms\tP99 ms\tMAX ms")
	for _, x := range []struct {
		n string
		l latencyResult
	}{{"imgq", r.ImgqPickup}, {"asynq", r.AsynqPickup}} {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\n", x.n, x.l.Samples, x.l.P50MS, x.l.P90MS, x.l.P99MS, x.l.MaxMS)
	}
	tw.Flush()
	if r.RawLPushLPop != "" {
		fmt.Fprintf(w, "\nraw ceiling, redis-benchmark -c %d (unpipelined):\n%s\n", r.Concurrency, r.RawLPushLPop)
	}
}

// asynqThroughput enqueues n no-op tasks, then starts an asynq server with conc
// slots and times it until every task is processed and gone from the queue.
func asynqThroughput(ctx context.Context, opt asynq.RedisClientOpt, n, conc, pid int) (throughputResult, error) {
	res := throughputResult{Tasks: n, Workers: 1, Concurrency: conc}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	_ = insp.DeleteQueue("default", true)
	if err := fillAsynq(ctx, opt, n, conc); err != nil {
		return res, err
	}
	var done atomic.Int64
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: conc, LogLevel: asynq.ErrorLevel,
		Queues: map[string]int{"default": 1}})
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(context.Context, *asynq.Task) error { done.Add(1); return nil })
	bar := bench.NewProgress(os.Stderr, fmt.Sprintf("asynq %d no-op", conc), int64(n))
	cpu0 := bench.SelfCPU()
	rcpu0, _ := bench.ProcCPU(pid)
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		return res, err
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(5 * time.Minute)
	for done.Load() < int64(n) {
		bar.Set(done.Load())
		if time.Now().After(deadline) || ctx.Err() != nil {
			return res, fmt.Errorf("asynq processed %d of %d", done.Load(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	// Handlers ran; wait until the last acknowledgements reached Redis.
	for {
		info, err := insp.GetQueueInfo("default")
		if err != nil {
			return res, err
		}
		if info.Pending == 0 && info.Active == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu1 := bench.SelfCPU()
	rcpu1, _ := bench.ProcCPU(pid)
	bar.Done()
	res.Seconds = elapsed.Seconds()
	res.TasksPerSec = float64(n) / elapsed.Seconds()
	res.ClientCPU = (cpu1 - cpu0).Seconds() / elapsed.Seconds()
	res.ClientUSPerTask = float64((cpu1 - cpu0).Microseconds()) / float64(n)
	if pid > 0 {
		res.RedisCPU = (rcpu1 - rcpu0).Seconds() / elapsed.Seconds()
		res.RedisUSPerTask = float64((rcpu1 - rcpu0).Microseconds()) / float64(n)
	}
	return res, nil
}

// fillAsynq enqueues n tasks with conc goroutines (asynq has no batch enqueue).
func fillAsynq(ctx context.Context, opt asynq.RedisClientOpt, n, conc int) error {
	c := asynq.NewClient(opt)
	defer c.Close()
	var next atomic.Int64
	errc := make(chan error, conc)
	for range conc {
		go func() {
			for next.Add(1) <= int64(n) {
				if _, err := c.EnqueueContext(ctx, asynq.NewTask("noop", nil)); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	var first error
	for range conc {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// asynqPickup enqueues one task at a time to an idle asynq server (default
// settings: it polls an empty queue every TaskCheckInterval, 1 s).
func asynqPickup(ctx context.Context, opt asynq.RedisClientOpt, samples, conc int) (latencyResult, error) {
	started := make(chan time.Time, 1)
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: conc, LogLevel: asynq.ErrorLevel,
		Queues: map[string]int{"pickup": 1}})
	mux := asynq.NewServeMux()
	mux.HandleFunc("ping", func(context.Context, *asynq.Task) error { started <- time.Now(); return nil })
	if err := srv.Start(mux); err != nil {
		return latencyResult{}, err
	}
	defer srv.Shutdown()
	c := asynq.NewClient(opt)
	defer c.Close()
	time.Sleep(200 * time.Millisecond)
	bar := bench.NewProgress(os.Stderr, "asynq pickup latency", int64(samples))
	var lat []time.Duration
	for i := range samples {
		t0 := time.Now()
		if _, err := c.EnqueueContext(ctx, asynq.NewTask("ping", nil), asynq.Queue("pickup")); err != nil {
			return summarize(lat), err
		}
		select {
		case t1 := <-started:
			lat = append(lat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			return summarize(lat), errors.New("asynq did not start a task within 10s")
		case <-ctx.Done():
			return summarize(lat), ctx.Err()
		}
		bar.Set(int64(i + 1))
		time.Sleep(2 * time.Millisecond)
	}
	bar.Done()
	return summarize(lat), nil
}

// rawBenchmark runs redis-benchmark for the server's raw list ceiling, if installed.
func rawBenchmark(addr string, clients int) string {
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-benchmark", "-h", host, "-p", port, "-c", fmt.Sprint(clients),
		"-n", "100000", "-q", "-t", "lpush,lpop").Output()
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\r") {
		for _, s := range strings.Split(l, "\n") {
			if strings.Contains(s, "requests per second") {
				lines = append(lines, strings.TrimSpace(s))
			}
		}
	}
	return strings.Join(lines, "\n")
}

func redisPID(ctx context.Context, rdb *redis.Client) int {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			var pid int
			fmt.Sscan(v, &pid)
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				return pid
			}
		}
	}
	return 0
}
