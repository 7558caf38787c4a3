// Package proc is imgq's process control, with the same API on Linux, macOS
// (and the other unix systems) and Windows. Everything that differs between
// them lives here, behind build tags, so the rest of imgq builds everywhere:
//
//   - Start puts a child in its own process group (unix) or process group and
//     job object (Windows), so KillGroup stops it and whatever it started, and
//     makes it die with this process where the system can: Linux by
//     Pdeathsig, Windows by the job (killed when its last handle, ours,
//     closes). macOS cannot; an imgq child there calls WatchParent instead.
//     StartGraceful is Start for an imgq worker: orphaned, it is asked to stop
//     (Linux: Pdeathsig SIGTERM; elsewhere WatchParent) rather than killed.
//   - Terminate asks a child to stop gracefully: SIGTERM on unix, CTRL_BREAK
//     on Windows (which Go delivers to the child as os.Interrupt).
//   - StopSignals are the signals a worker treats as "stop gracefully".
//   - SelfCPU, ProcessCPU, ProcessMemory, LoadAverage and CPUModel measure,
//     for the benchmarks. What a system cannot tell returns an error wrapping
//     errors.ErrUnsupported that names the system, never a compile failure.
package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// parentEnv carries the parent's pid to a child started by Start, for WatchParent.
const parentEnv = "IMGQ_PARENT_PID"

// Start starts cmd in its own process group (and, on Windows, its own job
// object), tied to this process's life where the system allows it (see the
// package documentation). A command made with exec.CommandContext has its
// whole group killed when the context ends.
func Start(cmd *exec.Cmd) error { return start(cmd, false) }

// StartGraceful is Start for a child that can stop gracefully (an imgq
// worker): orphaned, it is asked to stop rather than killed (Linux: Pdeathsig
// SIGTERM; Windows: its job does not kill it, it sees its parent go with
// WatchParent, as on macOS), so it hands back its tasks at once.
func StartGraceful(cmd *exec.Cmd) error { return start(cmd, true) }

func start(cmd *exec.Cmd, graceful bool) error {
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, parentEnv+"="+strconv.Itoa(os.Getpid()))
	prepare(cmd, graceful)
	if cmd.Cancel != nil { // made by exec.CommandContext: kill the group, not just the leader
		cmd.Cancel = func() error { return KillGroup(cmd) }
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	started(cmd, graceful)
	return nil
}

// KillGroup kills cmd's process and every process in its group or job at once,
// as a crash would. A group that already ended gives os.ErrProcessDone.
func KillGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return errors.New("proc: kill: process not started")
	}
	return killGroup(cmd)
}

// Terminate asks cmd's process to stop gracefully (a worker finishes or hands
// back its tasks). Where that cannot be asked (a Windows child not started by
// Start, or without a console) it kills the process instead.
func Terminate(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return errors.New("proc: terminate: process not started")
	}
	return terminate(cmd)
}

// StopSignals are the signals that mean "stop gracefully": os.Interrupt
// (Ctrl-C; on Windows also CTRL_BREAK) everywhere, and SIGTERM (unix: kill,
// systemd, docker stop; Windows: the console window closing, logoff or
// shutdown, which Go reports as SIGTERM).
func StopSignals() []os.Signal { return stopSignals() }

// SelfCPU is the user+system CPU time this process has used.
func SelfCPU() (time.Duration, error) { return selfCPU() }

// ProcessCPU is the user+system CPU time process pid has used.
func ProcessCPU(pid int) (time.Duration, error) { return processCPU(pid) }

// ProcessMemory is process pid's resident memory now and at its peak, in KiB.
func ProcessMemory(pid int) (rssKiB, peakKiB int64, err error) { return processMemory(pid) }

// LoadAverage is the 1, 5 and 15 minute load average.
func LoadAverage() ([]float64, error) { return loadAverage() }

// CPUModel names this machine's processor ("" when unknown).
func CPUModel() string { return cpuModel() }

// WatchParent returns a context that ends when the process that started this
// one with Start exits, so an orphaned child (macOS has no Pdeathsig; a
// Windows job may be unavailable) stops by itself, gracefully. When this
// process was not started by Start, or its parent is already gone, the
// context ends only with ctx. Call cancel to release the watcher.
func WatchParent(ctx context.Context) (context.Context, context.CancelFunc) {
	pid, _ := strconv.Atoi(os.Getenv(parentEnv))
	// A stale value inherited through a shell or a grandparent is ignored.
	if pid <= 0 || pid != os.Getppid() {
		return context.WithCancel(ctx)
	}
	alive, release, err := parentProbe(pid)
	if err != nil {
		return context.WithCancel(ctx)
	}
	return watch(ctx, alive, release, 250*time.Millisecond)
}

// errParentGone is the cause of a WatchParent context that ended because the
// parent exited.
var errParentGone = errors.New("parent process exited")

// watch polls alive every period until it reports false (the context is then
// cancelled with errParentGone) or ctx ends; release runs when the watcher
// goroutine, owned by the returned cancel, ends.
func watch(ctx context.Context, alive func() bool, release func(), every time.Duration) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer release()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				if !alive() {
					cancel(errParentGone)
					return
				}
			}
		}
	}()
	return wctx, func() { cancel(context.Canceled); <-done }
}
