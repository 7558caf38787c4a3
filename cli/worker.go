package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/metrics"
	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type workerFlags struct {
	id          string
	concurrency int
	output      string
	input       string
	heartbeat   time.Duration
	grace       time.Duration
	taskTimeout time.Duration
	delay       time.Duration
	verbose     bool
	metrics     string           // --metrics address
	meter       *metrics.Metrics // set when --metrics serves: observes the worker's tasks
}

func newWorkerCmd(g *globals) *cobra.Command {
	wf := &workerFlags{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker process (on any machine that reaches the same Redis)",
		Example: `  imgq worker --redis redis://:PASSWORD@192.168.1.20:6379 --id ana
  imgq worker --concurrency 4 --output output/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Ctrl-C / SIGTERM (Windows: Ctrl-C, Ctrl-Break, the console
			// closing): stop claiming, let tasks finish within --grace, hand back
			// the rest, exit 0, within --grace and a second or two whatever a
			// task does (see workers.Worker.Run). A second signal exits at once.
			// A worker started by imgq (demo, bench) also stops so when its
			// parent is gone.
			ctx, stop := stopOnSignal(cmd.Context(), g, wf.grace)
			defer stop()
			ctx, unwatch := proc.WatchParent(ctx)
			defer unwatch()
			conn, q, err := g.connect(context.WithoutCancel(ctx), false, nil)
			if err != nil {
				return err
			}
			defer conn.Close()
			// The metrics outlive ctx until the worker has stopped, so a scrape
			// sees its last tasks.
			m, stopMetrics, err := startMetrics(context.WithoutCancel(ctx), g, q, wf.metrics)
			if err != nil {
				return err
			}
			defer func() { _ = stopMetrics() }() // on an early return; the call below reports
			wf.meter = m
			w, err := newImageWorker(q, wf, g)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.errOut, "worker %s: %d slot(s) on %s, queue %s, output %s\n", w.ID(), wf.concurrency, conn.Addr, q.Name(), wf.output)
			err = w.Run(ctx)
			return errors.Join(err, stopMetrics())
		},
	}
	f := cmd.Flags()
	f.StringVar(&wf.id, "id", "", "worker id shown in the dashboard (default <host>-<pid>)")
	f.IntVarP(&wf.concurrency, "concurrency", "c", 1, "tasks run at once")
	f.StringVarP(&wf.output, "output", "o", "output", "folder results are written to (never escaped)")
	f.StringVar(&wf.input, "input", ".", "folder a task's image_path is read from when its bytes do not travel with it (relative paths, as the course's worker reads them from its working directory)")
	f.DurationVar(&wf.heartbeat, "heartbeat", time.Second, "heartbeat period")
	f.DurationVar(&wf.grace, "grace", 10*time.Second, "on SIGINT/SIGTERM, time in-flight tasks get to finish")
	f.DurationVar(&wf.taskTimeout, "task-timeout", workers.DefaultTaskTimeout, "time limit of one run of a task without its own (imgq enqueue --timeout): the task is stopped and the run counts as a failed attempt")
	f.DurationVar(&wf.delay, "delay", 0, "extra time each task takes, this worker only (to kill a worker mid-task; for a class to watch, the dashboard's --pace paces every worker at once)")
	f.BoolVarP(&wf.verbose, "verbose", "v", false, "log every task to stderr")
	f.StringVar(&wf.metrics, "metrics", "", metricsFlagHelp)
	return cmd
}

// newImageWorker builds a worker running the image handler, per the flags.
func newImageWorker(q *queue.Queue, wf *workerFlags, g *globals) (*workers.Worker, error) {
	h, err := newImageHandler(q, wf.output, wf.input)
	if err != nil {
		return nil, err
	}
	level := slog.LevelWarn
	if wf.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: level}))
	cfg := workers.Config{
		ID: wf.id, Concurrency: wf.concurrency, Heartbeat: wf.heartbeat, Grace: wf.grace, Delay: wf.delay,
		TaskTimeout: wf.taskTimeout,
		Handler:     workers.LogTasks(h.Handle, log), OnFailRate: h.SetFailRate, // -v: a line per task
		Logger: log,
	}
	if wf.meter != nil {
		wf.meter.Observe(&cfg)
	}
	return workers.New(q, cfg)
}

func newImageHandler(q *queue.Queue, output, input string) (*workers.ImageHandler, error) {
	if err := os.MkdirAll(output, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	out, err := os.OpenRoot(output)
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	h := &workers.ImageHandler{Queue: q, Output: out, Limits: pipeline.DefaultLimits()}
	if in, err := os.OpenRoot(input); err == nil {
		h.Input = in
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("input folder: %w", err)
	}
	return h, nil
}

// sameSignal: a stop signal this soon after the first is the same request
// delivered twice (timeout(1) signals the worker, then its own process group,
// which holds the worker), not a second one.
const sameSignal = 100 * time.Millisecond

// stopOnSignal returns a context cancelled by the first stop signal; a second
// one (sameSignal or more later) exits the process at once, with status 1: the
// tasks then in flight go back to the queue when their leases lapse. stop
// releases the signals and ends the goroutine watching them.
func stopOnSignal(parent context.Context, g *globals, grace time.Duration) (context.Context, func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, proc.StopSignals()...)
	ctx, stop := watchStops(parent, sigs, g, grace, os.Exit)
	return ctx, func() {
		signal.Stop(sigs)
		stop()
	}
}

// watchStops is stopOnSignal's watcher on a channel of signals, with exit
// standing for os.Exit.
func watchStops(parent context.Context, sigs <-chan os.Signal, g *globals, grace time.Duration, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintf(g.errOut, "stopping: tasks in flight get %s to finish, then go back to the queue (signal again to exit now)\n", grace)
		cancel()
		first := time.Now()
		for {
			select {
			case <-sigs:
				if time.Since(first) < sameSignal {
					continue
				}
				fmt.Fprintln(g.errOut, "second signal: exiting now; tasks in flight go back to the queue when their leases lapse")
				exit(1)
				return
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-ended
		cancel()
	}
}
