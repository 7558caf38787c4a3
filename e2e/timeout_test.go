package e2e

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// The reliability report's runaway chain, on a small scale: from a 16x16
// sample it runs for minutes (resize to 16 Mpixels, then wide blurs).
var runawayFilters = "resize:4000x4000" + strings.Repeat(",blur:50,sharpen:50", 5) + ",edges"

// attemptDurations pairs each claim of id with the retried/failed event that
// ended it, in order.
func attemptDurations(t *testing.T, q *queue.Queue, id string) []time.Duration {
	t.Helper()
	var out []time.Duration
	var claimed time.Time
	for _, e := range allEvents(t, q) {
		if e.Task != id {
			continue
		}
		switch e.Kind {
		case queue.EventClaimed:
			claimed = e.Time
		case queue.EventRetried, queue.EventFailed:
			out = append(out, e.Time.Sub(claimed))
		}
	}
	return out
}

func waitDeadLetter(t *testing.T, q *queue.Queue, id string, d time.Duration) queue.TaskInfo {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ti, err := q.Task(context.Background(), id)
		if err == nil && ti.Status == queue.StatusFailed {
			return ti
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not dead-lettered after %s: %+v (err %v)", id, d, ti, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A runaway filter chain is stopped at --task-timeout inside its filters,
// each stop uses an attempt, and the last dead-letters it with the limit in
// the error; the worker meanwhile stays alive and stops promptly.
func TestRunawayTaskTimesOutAndDeadLetters(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	ids := enqueueIDs(t, srv, dir, "--queue", "rt", "--size", "16x16", "--filters", runawayFilters)
	w := Start(t, srv, dir, "worker", "--queue", "rt", "--id", "rt1", "--task-timeout", "2s", "--grace", "1s")
	q := newQueue(t, srv, "rt")
	ti := waitDeadLetter(t, q, ids[0], 60*time.Second)
	if ti.Attempts != 3 || !strings.Contains(ti.Error, "task timed out after 2s") {
		t.Fatalf("dead letter: attempts %d, error %q; want 3 and \"task timed out after 2s\"", ti.Attempts, ti.Error)
	}
	ds := attemptDurations(t, q, ids[0])
	t.Logf("attempts with --task-timeout 2s ended after %v", ds)
	if len(ds) != 3 {
		t.Fatalf("%d attempts ended, want 3", len(ds))
	}
	for i, d := range ds {
		// Logged figures are ~2.0 s; the bound tells "stopped at the 2 s limit"
		// from "ran the chain to its end" (minutes) on a loaded machine.
		if d > 8*time.Second {
			t.Errorf("attempt %d ended %s after its claim: not stopped at the 2s limit", i+1, d)
		}
	}
	start := time.Now()
	_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	if code := w.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("worker exit %d\n%s", code, w.Output())
	}
	t.Logf("idle worker stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// imgq enqueue --timeout overrides the worker's --task-timeout.
func TestEnqueueTimeoutOverridesTheWorkers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	ids := enqueueIDs(t, srv, dir, "--queue", "ov", "--size", "16x16", "--filters", runawayFilters, "--timeout", "1s")
	Start(t, srv, dir, "worker", "--queue", "ov", "--id", "ov1", "--task-timeout", "1m")
	q := newQueue(t, srv, "ov")
	ti := waitDeadLetter(t, q, ids[0], 60*time.Second)
	t.Logf("attempts with enqueue --timeout 1s under --task-timeout 1m ended after %v", attemptDurations(t, q, ids[0]))
	if !strings.Contains(ti.Error, "task timed out after 1s") {
		t.Fatalf("error %q, want \"task timed out after 1s\"", ti.Error)
	}
}

// translucentPNG is a 16x16 image with alpha: the pipeline hands those to
// imaging whole (not to its own filters), whose blur never looks at the
// task's context, so the run cannot be stopped inside a step: what a handler
// ignoring its context looks like from the worker.
func translucentPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 * 16 {
		img.SetNRGBA(i%16, i/16, color.NRGBA{uint8(i), uint8(255 - i), 90, 128})
	}
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	must(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// SIGTERM with --grace 1s: the worker exits within ~3s even while its task
// cannot be stopped, and the task goes back to pending, not lost; a second
// signal exits at once.
func TestStopWhileATaskCannotBeStopped(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	translucentPNG(t, filepath.Join(dir, "alpha.png"))
	q := newQueue(t, srv, "st")
	for _, second := range []bool{false, true} {
		ids := enqueueIDs(t, srv, dir, "--queue", "st", "alpha.png", "--filters", "resize:4000x4000,blur:50,blur:50,blur:50")
		w := Start(t, srv, dir, "worker", "--queue", "st", "--id", "st1", "--grace", "1s", "--verbose")
		waitEvent(t, q, 30*time.Second, "claimed", func(e queue.Event) bool { return e.Kind == queue.EventClaimed && e.Task == ids[0] })
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		_ = w.Cmd.Process.Signal(syscall.SIGTERM)
		if second {
			time.Sleep(200 * time.Millisecond)
			_ = w.Cmd.Process.Signal(syscall.SIGTERM)
		}
		code := w.Wait(t, 15*time.Second)
		took := time.Since(start)
		t.Logf("second signal %v: exit %d %s after SIGTERM", second, code, took.Round(time.Millisecond))
		ti, err := q.Task(context.Background(), ids[0])
		must(t, err)
		if !second {
			if code != 0 || took > 10*time.Second {
				t.Fatalf("exit %d after %s, want 0 soon after grace 1s (it used to hang)\n%s", code, took, w.Output())
			}
			if ti.Status != queue.StatusPending {
				t.Fatalf("task %s after the stop, want pending (handed back)\n%s", ti.Status, w.Output())
			}
		} else {
			if code != 1 || took > 5*time.Second {
				t.Fatalf("exit %d after %s, want 1 at once on the second signal\n%s", code, took, w.Output())
			}
			// Never lost: still processing under a lease that recovery will see lapse.
			if ti.Status != queue.StatusProcessing && ti.Status != queue.StatusPending {
				t.Fatalf("task %s after the second signal, want processing (leased) or pending", ti.Status)
			}
		}
		_, err = q.Flush(context.Background())
		must(t, err)
	}
}

// `timeout 3 imgq worker` (a class script's way to run a worker for a while)
// delivers SIGTERM twice at once, to the worker and to timeout's own process
// group, which holds the worker: that is one stop, not two. The worker stops
// gracefully (timeout's status 124, the worker's own 0) and deregisters, so
// its id is free at once for the next run. Whether the two arrive apart or
// coalesce is up to the scheduler; cli's TestStopSignalsTwinsAndSecond covers
// the twin case itself, this the whole run as a script would do it.
func TestTimeoutsTwinSignalsAreOneStop(t *testing.T) {
	tbin, err := exec.LookPath("timeout")
	if err != nil {
		t.Fatalf("timeout(1) not found (coreutils): %v", err)
	}
	srv := redistest.Start(t, redistest.Options{})
	q := newQueue(t, srv, "tw")
	cmd := exec.Command(tbin, "3", binary, "worker", "--queue", "tw", "--id", "tw1")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "REDIS_URL="+srv.URL())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 124 || strings.Contains(string(out), "second signal") {
		t.Fatalf("timeout 3 imgq worker: %v, want timeout's 124 after a graceful stop\n%s", err, out)
	}
	waitEvent(t, q, 10*time.Second, "worker_stopped", func(e queue.Event) bool { return e.Kind == queue.EventWorkerStop && e.Worker == "tw1" })
}
