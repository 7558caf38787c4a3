package proc

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestStopSignals(t *testing.T) {
	sigs := StopSignals()
	if !slices.Contains(sigs, os.Interrupt) {
		t.Fatalf("StopSignals %v lacks os.Interrupt (Ctrl-C on every system)", sigs)
	}
	// Unix: kill/systemd/docker stop; Windows: Go reports the console closing as SIGTERM.
	if !slices.Contains(sigs, os.Signal(syscall.SIGTERM)) {
		t.Fatalf("StopSignals %v lacks SIGTERM", sigs)
	}
}

func TestWatchEndsWhenParentGone(t *testing.T) {
	var alive atomic.Bool
	alive.Store(true)
	released := make(chan struct{})
	ctx, cancel := watch(context.Background(), alive.Load, func() { close(released) }, time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("ended while the parent lives")
	case <-time.After(20 * time.Millisecond):
	}
	alive.Store(false)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("did not end after the parent went away")
	}
	if !errors.Is(context.Cause(ctx), errParentGone) {
		t.Fatalf("cause %v, want errParentGone", context.Cause(ctx))
	}
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("probe not released")
	}
}

func TestWatchCancelEndsWatcher(t *testing.T) {
	released := make(chan struct{})
	ctx, cancel := watch(context.Background(), func() bool { return true }, func() { close(released) }, time.Hour)
	cancel() // waits for the goroutine
	select {
	case <-released:
	default:
		t.Fatal("cancel returned before the watcher ended")
	}
	if !errors.Is(ctx.Err(), context.Canceled) || errors.Is(context.Cause(ctx), errParentGone) {
		t.Fatalf("err %v cause %v", ctx.Err(), context.Cause(ctx))
	}
}

func TestWatchParentOnlyWhenStartedByParent(t *testing.T) {
	t.Setenv(parentEnv, "")
	ctx, cancel := WatchParent(context.Background())
	cancel()
	if context.Cause(ctx) != context.Canceled {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
	// A stale pid (inherited through a shell) is ignored.
	t.Setenv(parentEnv, strconv.Itoa(os.Getppid()+1))
	ctx, cancel = WatchParent(context.Background())
	cancel()
	if context.Cause(ctx) != context.Canceled {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
	// Our real parent (go test) lives on: the context stays up.
	t.Setenv(parentEnv, strconv.Itoa(os.Getppid()))
	ctx, cancel = WatchParent(context.Background())
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatalf("ended while the parent lives: %v", context.Cause(ctx))
	case <-time.After(600 * time.Millisecond):
	}
}

func TestSelfCPU(t *testing.T) {
	d0, err := SelfCPU()
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	d1, err := SelfCPU()
	if err != nil {
		t.Fatal(err)
	}
	if d1 <= d0 {
		t.Fatalf("cpu time %v then %v after a busy loop (%d)", d0, d1, x)
	}
}

func TestMeasurementsSayWhatIsUnsupported(t *testing.T) {
	pid := os.Getpid()
	_, cpuErr := ProcessCPU(pid)
	_, _, memErr := ProcessMemory(pid)
	_, loadErr := LoadAverage()
	switch runtime.GOOS {
	case "linux":
		for _, err := range []error{cpuErr, memErr, loadErr} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if rss, peak, _ := ProcessMemory(pid); rss <= 0 || peak < rss {
			t.Fatalf("rss %d KiB, peak %d KiB", rss, peak)
		}
	default:
		for _, err := range []error{memErr, loadErr} {
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("%v should wrap errors.ErrUnsupported", err)
			}
		}
	}
}
