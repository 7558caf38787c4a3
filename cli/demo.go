package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type demoFlags struct {
	tasks   int
	workers int
	size    string
	output  string
	filters string
	yes     bool
}

func newDemoCmd(g *globals) *cobra.Command {
	df := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Reproduce the course's demos: basic (3 tasks, 1 worker) and distributed (15 tasks, 3 worker processes)",
	}
	cmd.PersistentFlags().StringVar(&df.size, "size", "640x480", "size of the generated images")
	cmd.PersistentFlags().StringVarP(&df.output, "output", "o", "output", "folder for the processed images")
	cmd.PersistentFlags().StringVarP(&df.filters, "filters", "f", workers.CourseFilters, "filter spec")
	cmd.PersistentFlags().BoolVarP(&df.yes, "yes", "y", false, "flush the queue even when others are using it (tasks waiting or running, live workers)")
	basic := &cobra.Command{
		Use:   "basic",
		Short: "Flush, enqueue 3 tasks, process them with one worker, print what the course printed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demoBasic(cmd.Context(), g, df)
		},
	}
	dist := &cobra.Command{
		Use:   "distributed",
		Short: "15 tasks on 3 worker processes, against 1 worker: speedup, efficiency, tasks per worker",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demoDistributed(cmd.Context(), g, df)
		},
	}
	dist.Flags().IntVar(&df.workers, "workers", 3, "worker processes")
	dist.Flags().IntVar(&df.tasks, "tasks", 15, "tasks")
	cmd.AddCommand(basic, dist)
	return cmd
}

func (df *demoFlags) sampleTasks(n int) ([]queue.NewTask, pipeline.Spec, error) {
	spec, err := pipeline.Parse(df.filters)
	if err != nil {
		return nil, nil, usageError{err}
	}
	w, h, err := parseSize(df.size)
	if err != nil {
		return nil, nil, usageError{err}
	}
	tasks := make([]queue.NewTask, n)
	for i := range tasks {
		if tasks[i], err = workers.SampleTask(spec, w, h, int64(i+1), fmt.Sprintf("image_%02d.jpg", i+1)); err != nil {
			return nil, nil, err
		}
	}
	return tasks, spec, nil
}

// claimQueue makes sure the demo may flush q, as the course's demo cleared its
// queue: it refuses a queue that others are using (tasks waiting or running,
// live workers, a student's or the dashboard's) unless --yes.
func claimQueue(ctx context.Context, q *queue.Queue, yes bool) error {
	if yes {
		return nil
	}
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	live := 0
	for _, w := range s.Workers {
		if w.State != queue.WorkerGone && w.State != queue.WorkerStop {
			live++
		}
	}
	if busy := s.PendingTotal() + s.Processing + s.Retry; busy > 0 || live > 0 {
		return usageError{fmt.Errorf("queue %s is in use (%d task(s) waiting or running, %d live worker(s)) and the demo starts by flushing it: "+
			"use a queue of its own (--queue demo), or --yes to flush it anyway", q.Name(), busy, live)}
	}
	return nil
}

// waitFinished polls the demo's own tasks (a demo can afford it) until every one
// has completed or failed, whoever else works the queue meanwhile.
func waitFinished(ctx context.Context, q *queue.Queue, tasks []queue.NewTask, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		done := 0
		for _, t := range tasks {
			st, err := q.Client().HGet(ctx, q.Keys().Task(t.ID), "status").Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("status of %s: %w", t.ID, err)
			}
			if st == string(queue.StatusCompleted) || st == string(queue.StatusFailed) {
				done++
			}
		}
		if done == len(tasks) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tasks finished within %s", done, len(tasks), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func demoBasic(ctx context.Context, g *globals, df *demoFlags) error {
	out := g.out
	conn, q, err := g.connect(ctx, true, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(out, "imgq demo basic — Redis %s, queue %s\n\n", conn.Addr, q.Name())
	if err := claimQueue(ctx, q, df.yes); err != nil {
		return err
	}
	n, err := q.Flush(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Cleared the queue (%d keys removed)\n", n)
	tasks, spec, err := df.sampleTasks(3)
	if err != nil {
		return err
	}
	if _, err := q.EnqueueBatch(ctx, tasks); err != nil {
		return err
	}
	fmt.Fprintf(out, "2. Enqueued %d tasks (%s, filters %s)\n", len(tasks), df.size, spec)
	for _, t := range tasks {
		fmt.Fprintf(out, "   %s  %s\n", t.ID, t.Name)
	}

	wctx, stop := context.WithCancel(ctx)
	wf := &workerFlags{id: "demo-worker", concurrency: 1, output: df.output, input: ".", grace: 5 * time.Second}
	w, err := newImageWorker(q, wf, g)
	if err != nil {
		stop()
		return err
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(wctx) }()
	werr := waitFinished(ctx, q, tasks, 2*time.Minute)
	elapsed := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	fmt.Fprintf(out, "3. One worker processed them in %.2fs\n\n", elapsed.Seconds())
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Queue stats:  pending %d  processing %d  completed %d  failed %d\n",
		s.PendingTotal(), s.Processing, s.Completed, s.Failed)
	for _, ws := range s.Workers {
		if ws.ID != "demo-worker" {
			continue
		}
		total := ws.Processed + ws.Failed
		rate := 0.0
		if total > 0 {
			rate = 100 * float64(ws.Processed) / float64(total)
		}
		fmt.Fprintf(out, "Worker stats: completed %d  failed %d  success rate %.0f%%  total %.2fs  average %.3fs\n",
			ws.Processed, ws.Failed, rate, ws.Busy.Seconds(), ws.MeanTime().Seconds())
	}
	fmt.Fprintln(out, "\nResults:")
	if err := printResults(ctx, out, q, tasks); err != nil {
		return err
	}
	return printKeys(ctx, out, q, tasks)
}

func printResults(ctx context.Context, out interface{ Write([]byte) (int, error) }, q *queue.Queue, tasks []queue.NewTask) error {
	for _, t := range tasks {
		info, err := q.Task(ctx, t.ID)
		if err != nil {
			return err
		}
		var r workers.Result
		_ = json.Unmarshal(info.Result, &r)
		if info.Status != queue.StatusCompleted {
			fmt.Fprintf(out, "  %s  %-9s %s\n", t.ID, info.Status, safetext.Truncate(info.Error, 100))
			continue
		}
		fmt.Fprintf(out, "  %s  %s → %s  %dx%d  %d bytes  %dms  by %s\n", t.ID, t.Name,
			safetext.Clean(r.Output), r.Width, r.Height, r.Bytes, r.MS, safetext.Clean(info.Worker))
	}
	return nil
}

func printKeys(ctx context.Context, out interface{ Write([]byte) (int, error) }, q *queue.Queue, tasks []queue.NewTask) error {
	var keys []string
	// The course's records of the demo's tasks, beside the queue's own keys.
	for _, t := range tasks {
		for _, k := range []string{q.Keys().Task(t.ID), q.Keys().Result(t.ID)} {
			if q.Client().Exists(ctx, k).Val() == 1 {
				keys = append(keys, k)
			}
		}
	}
	iter := q.Client().Scan(ctx, 0, q.Keys().Pattern(), 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan keys: %w", err)
	}
	sort.Strings(keys)
	fmt.Fprintf(out, "\nKeys in Redis (%d): the demo's task:/result: records and every key matching %s\n", len(keys), q.Keys().Pattern())
	for _, k := range keys {
		typ, _ := q.Client().Type(ctx, k).Result()
		fmt.Fprintf(out, "  %-7s %s\n", typ, safetext.Clean(k))
	}
	return nil
}

// childURL is the Redis URL worker processes get (through the environment, so a
// password never shows in `ps`).
func childURL(g *globals, conn *redisconn.Conn) string {
	if conn.Embedded != nil {
		return "redis://" + conn.Embedded.Addr + "/0"
	}
	if g.redisURL != "" {
		return g.redisURL
	}
	return redisconn.DefaultURL
}

// runRound starts n worker processes, waits for them to register, enqueues the
// tasks at once, and times them until all finished. It returns the elapsed time
// and the tasks each worker completed.
func runRound(ctx context.Context, g *globals, conn *redisconn.Conn, q *queue.Queue, df *demoFlags, n int, round string) (time.Duration, map[string]int64, error) {
	if _, err := q.Flush(ctx); err != nil {
		return 0, nil, err
	}
	tasks, _, err := df.sampleTasks(df.tasks)
	if err != nil {
		return 0, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, nil, fmt.Errorf("find imgq binary: %w", err)
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = proc.Terminate(p)
		}
		for _, p := range procs {
			_ = p.Wait()
		}
	}()
	ids := map[string]bool{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%s-w%d", round, i)
		ids[id] = true
		c := exec.CommandContext(ctx, exe, "worker", "--queue", q.Name(), "--id", id,
			"--output", df.output, "--lease", g.lease.String(), "--worker-timeout", g.workerTimeout.String())
		// One core per worker process, like the course's single-threaded Python
		// workers: the speedup then measures distribution over processes, not the
		// pipeline's own use of every core inside one process.
		c.Env = append(os.Environ(), "REDIS_URL="+childURL(g, conn), "GOMAXPROCS=1")
		c.Stderr = g.errOut
		if err := proc.StartGraceful(c); err != nil {
			return 0, nil, fmt.Errorf("start worker process: %w", err)
		}
		procs = append(procs, c)
	}
	// Wait until every process registered, so the timing measures work, not startup.
	for deadline := time.Now().Add(30 * time.Second); ; {
		s, err := q.Stats(ctx)
		if err != nil {
			return 0, nil, err
		}
		up := 0
		for _, w := range s.Workers {
			if ids[w.ID] && w.State != queue.WorkerGone && w.State != queue.WorkerStop {
				up++
			}
		}
		if up == n {
			break
		}
		if time.Now().After(deadline) {
			return 0, nil, fmt.Errorf("only %d of %d worker processes registered within 30s", up, n)
		}
		sleepCtx(ctx, 10*time.Millisecond)
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

func demoDistributed(ctx context.Context, g *globals, df *demoFlags) error {
	if df.workers < 1 || df.workers > 64 || df.tasks < 1 || df.tasks > 100000 {
		return usageError{fmt.Errorf("choose 1..64 workers and 1..100000 tasks")}
	}
	out := g.out
	conn, q, err := g.connect(ctx, true, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(out, "imgq demo distributed — Redis %s, queue %s, %d tasks of %s (%s)\n\n", conn.Addr, q.Name(), df.tasks, df.size, df.filters)
	if err := claimQueue(ctx, q, df.yes); err != nil {
		return err
	}

	fmt.Fprintf(out, "Round 1: 1 worker process ...\n")
	t1, _, err := runRound(ctx, g, conn, q, df, 1, "solo")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %d tasks in %.2fs (%.1f tasks/s)\n\n", df.tasks, t1.Seconds(), float64(df.tasks)/t1.Seconds())
	fmt.Fprintf(out, "Round 2: %d worker processes ...\n", df.workers)
	tn, per, err := runRound(ctx, g, conn, q, df, df.workers, "demo")
	if err != nil {
		return err
	}
	speedup := t1.Seconds() / tn.Seconds()
	fmt.Fprintf(out, "  %d tasks in %.2fs (%.1f tasks/s)\n\n", df.tasks, tn.Seconds(), float64(df.tasks)/tn.Seconds())
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Queue stats:   pending %d  processing %d  completed %d  failed %d\n", s.PendingTotal(), s.Processing, s.Completed, s.Failed)
	fmt.Fprintf(out, "Total time:    %.2fs with %d workers, %.2fs with 1\n", tn.Seconds(), df.workers, t1.Seconds())
	fmt.Fprintf(out, "Average:       %.3fs per task\n", tn.Seconds()/float64(df.tasks))
	fmt.Fprintf(out, "Speedup:       %.2fx\n", speedup)
	fmt.Fprintf(out, "Efficiency:    %.0f%% (speedup / workers; each worker process uses one core, this machine has %d)\n", 100*speedup/float64(df.workers), numCPU())
	fmt.Fprintf(out, "Throughput:    %.1f tasks/s\n", float64(df.tasks)/tn.Seconds())
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
	files, _ := filepath.Glob(filepath.Join(df.output, "*"))
	fmt.Fprintf(out, "Output files:  %d in %s/\n", len(files), df.output)
	return nil
}
