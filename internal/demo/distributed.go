package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
)

// Distributed times o.Tasks tasks on one worker process, then on o.Workers,
// and prints the speedup, the efficiency and the tasks each worker did.
func Distributed(ctx context.Context, q *queue.Queue, addr string, o Options) error {
	if err := o.CheckDistributed(); err != nil {
		return err
	}
	out := o.Out
	fmt.Fprintf(out, "imgq demo distributed — Redis %s, queue %s, %d tasks of %s (%s)\n\n", addr, q.Name(), o.Tasks, o.Size, o.Filters)
	if err := claimQueue(ctx, q, o.Yes); err != nil {
		return err
	}
	fmt.Fprintf(out, "Round 1: 1 worker process ...\n")
	t1, _, err := runRound(ctx, q, o, 1, "solo")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %d tasks in %.2fs (%.1f tasks/s)\n\n", o.Tasks, t1.Seconds(), float64(o.Tasks)/t1.Seconds())
	fmt.Fprintf(out, "Round 2: %d worker processes ...\n", o.Workers)
	tn, per, err := runRound(ctx, q, o, o.Workers, "demo")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %d tasks in %.2fs (%.1f tasks/s)\n\n", o.Tasks, tn.Seconds(), float64(o.Tasks)/tn.Seconds())
	return printSummary(ctx, q, o, t1, tn, per)
}

// ErrBadSize refuses a distributed demo too small or too large to run.
var ErrBadSize = errors.New("choose 1..64 workers and 1..100000 tasks")

// CheckDistributed refuses (ErrBadSize) what Distributed would, before
// anything connects.
func (o Options) CheckDistributed() error {
	if o.Workers < 1 || o.Workers > 64 || o.Tasks < 1 || o.Tasks > 100000 {
		return ErrBadSize
	}
	return nil
}

func printSummary(ctx context.Context, q *queue.Queue, o Options, t1, tn time.Duration, per map[string]int64) error {
	out := o.Out
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	speedup := t1.Seconds() / tn.Seconds()
	fmt.Fprintf(out, "Queue stats:   pending %d  processing %d  completed %d  failed %d\n", s.PendingTotal(), s.Processing, s.Completed, s.Failed)
	fmt.Fprintf(out, "Total time:    %.2fs with %d workers, %.2fs with 1\n", tn.Seconds(), o.Workers, t1.Seconds())
	fmt.Fprintf(out, "Average:       %.3fs per task\n", tn.Seconds()/float64(o.Tasks))
	fmt.Fprintf(out, "Speedup:       %.2fx\n", speedup)
	fmt.Fprintf(out, "Efficiency:    %.0f%% (speedup / workers; each worker process uses one core, this machine has %d)\n", 100*speedup/float64(o.Workers), runtime.NumCPU())
	fmt.Fprintf(out, "Throughput:    %.1f tasks/s\n", float64(o.Tasks)/tn.Seconds())
	names := make([]string, 0, len(per))
	for id := range per {
		names = append(names, id)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, id := range names {
		parts[i] = fmt.Sprintf("%s=%d", id, per[id])
	}
	fmt.Fprintf(out, "Tasks/worker:  %s\n", strings.Join(parts, "  "))
	files, _ := filepath.Glob(filepath.Join(o.Output, "*"))
	fmt.Fprintf(out, "Output files:  %d in %s/\n", len(files), o.Output)
	return nil
}

// runRound starts n worker processes, waits for them to register, enqueues the
// tasks at once, and times them until all finished. It returns the elapsed time
// and the tasks each worker completed.
func runRound(ctx context.Context, q *queue.Queue, o Options, n int, round string) (time.Duration, map[string]int64, error) {
	if _, err := q.Flush(ctx); err != nil {
		return 0, nil, err
	}
	tasks, err := o.sampleTasks(o.Tasks)
	if err != nil {
		return 0, nil, err
	}
	ids := map[string]bool{}
	for i := 1; i <= n; i++ {
		ids[fmt.Sprintf("%s-w%d", round, i)] = true
	}
	stop, err := startWorkers(ctx, q, o, ids)
	defer stop()
	if err != nil {
		return 0, nil, err
	}
	if err := waitRegistered(ctx, q, ids); err != nil {
		return 0, nil, err
	}
	start := time.Now()
	if _, err := q.EnqueueBatch(ctx, tasks); err != nil {
		return 0, nil, err
	}
	err = waitFinished(ctx, q, tasks, 5*time.Minute)
	elapsed := time.Since(start)
	if err != nil {
		return 0, nil, err
	}
	s, err := q.Stats(ctx)
	if err != nil {
		return 0, nil, err
	}
	per := map[string]int64{}
	for _, w := range s.Workers {
		if ids[w.ID] {
			per[w.ID] = w.Processed
		}
	}
	return elapsed, per, nil
}

// startWorkers starts one `imgq worker` process (this executable) per id. The
// returned stop asks each to stop and waits for them; it is never nil.
func startWorkers(ctx context.Context, q *queue.Queue, o Options, ids map[string]bool) (stop func(), err error) {
	var procs []*exec.Cmd
	stop = func() {
		for _, p := range procs {
			_ = proc.Terminate(p)
		}
		for _, p := range procs {
			_ = p.Wait()
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return stop, fmt.Errorf("find imgq binary: %w", err)
	}
	names := make([]string, 0, len(ids))
	for id := range ids {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		c := exec.CommandContext(ctx, exe, "worker", "--queue", q.Name(), "--id", id,
			"--output", o.Output, "--lease", o.Lease.String(), "--worker-timeout", o.WorkerTimeout.String())
		// One core per worker process, like the course's single-threaded Python
		// workers: the speedup then measures distribution over processes, not the
		// pipeline's own use of every core inside one process. The URL goes in
		// the environment, so a password never shows in `ps`.
		c.Env = append(os.Environ(), "REDIS_URL="+o.RedisURL, "GOMAXPROCS=1")
		c.Stderr = o.ErrOut
		if err := proc.StartGraceful(c); err != nil {
			return stop, fmt.Errorf("start worker process: %w", err)
		}
		procs = append(procs, c)
	}
	return stop, nil
}

// waitRegistered waits until every worker process registered, so the timing
// measures work, not startup.
func waitRegistered(ctx context.Context, q *queue.Queue, ids map[string]bool) error {
	for deadline := time.Now().Add(30 * time.Second); ; {
		s, err := q.Stats(ctx)
		if err != nil {
			return err
		}
		up := 0
		for _, w := range s.Workers {
			if ids[w.ID] && w.State != queue.WorkerGone && w.State != queue.WorkerStop {
				up++
			}
		}
		if up == len(ids) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d worker processes registered within 30s", up, len(ids))
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}
