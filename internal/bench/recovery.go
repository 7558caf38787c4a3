package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// recoveryOptions shape a crash-recovery run.
type recoveryOptions struct {
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

// recovery makes a worker die holding a task and times how long until a live
// worker (heartbeat 1s, which runs the queue's housekeeping) starts it again.
func recovery(ctx context.Context, rdb redis.UniversalClient, o recoveryOptions) (RecoveryResult, error) {
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
	bar := NewProgress(o.Progress, "crash recovery", int64(o.Runs))
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
		restartAt, err := waitRestart(ctx, started, id, o.Lease+30*time.Second)
		if err != nil {
			return res, err
		}
		res.Seconds = append(res.Seconds, restartAt.Sub(crashAt).Seconds())
		bar.Set(int64(run + 1))
	}
	bar.Done()
	res.MedianS = Median(res.Seconds)
	for _, s := range res.Seconds {
		res.MaxS = max(res.MaxS, s)
	}
	res.WithinOK = res.MaxS <= res.TargetS
	return res, nil
}

// waitRestart waits until the rescuer starts task id and returns when it did.
func waitRestart(ctx context.Context, started <-chan string, id string, limit time.Duration) (time.Time, error) {
	timeout := time.After(limit)
	for {
		select {
		case got := <-started:
			if got == id {
				return time.Now(), nil
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("task %s was not restarted within lease+30s", id)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// crashChild starts `imgq worker` as a child, enqueues task (a fresh id each run),
// SIGKILLs the child as soon as it has claimed it, and returns the kill time.
func crashChild(ctx context.Context, q *queue.Queue, o recoveryOptions, task queue.NewTask, run int) (time.Time, string, error) {
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

// childWorker is `imgq worker args...` as a child process on the Redis at url.
// The URL, which may hold a password, goes in the child's environment
// (REDIS_URL, the default of --redis), never on its command line, where any
// user of the machine can read it (ps, /proc/PID/cmdline).
func childWorker(ctx context.Context, exe, url string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, append([]string{"worker"}, args...)...)
	cmd.Env = append(os.Environ(), "REDIS_URL="+url)
	return cmd
}
