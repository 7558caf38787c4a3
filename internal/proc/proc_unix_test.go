//go:build unix

package proc

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startShell starts sh running script through Start and returns the pid it
// prints on its first line.
func startShell(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = KillGroup(cmd); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// gone reports whether pid ended within 5s: no such process, or a zombie
// waiting for whoever adopted it (a container's init may reap late).
func gone(pid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
		if st := strings.TrimSpace(string(out)); err == nil && strings.HasPrefix(st, "Z") {
			return true
		}
	}
	return false
}

func TestKillGroupKillsGrandchildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & echo $!; wait")
	grandchild := startShell(t, cmd)
	if err := KillGroup(cmd); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !gone(grandchild) {
		t.Fatalf("grandchild %d survived KillGroup", grandchild)
	}
	// Again: harmless (ErrProcessDone, or nil while a zombie of the group awaits reaping).
	if err := KillGroup(cmd); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("second KillGroup: %v", err)
	}
}

func TestContextCancelKillsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 30 & echo $!; wait")
	grandchild := startShell(t, cmd)
	cancel()
	_ = cmd.Wait()
	if !gone(grandchild) {
		t.Fatalf("grandchild %d survived the context's end", grandchild)
	}
}

func TestTerminateIsGraceful(t *testing.T) {
	// The shell traps SIGTERM and exits 7: the child got a chance to clean up.
	cmd := exec.Command("sh", "-c", "trap 'exit 7' TERM; echo $$; while :; do sleep 0.05; done")
	startShell(t, cmd)
	if err := Terminate(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("wait: %v, want exit status 7 from the TERM trap", err)
	}
}

func TestStartTellsChildItsParent(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo $"+parentEnv)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	_ = cmd.Wait()
	if strings.TrimSpace(line) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("child saw %s=%q, want %d", parentEnv, line, os.Getpid())
	}
}

func TestOrphanIsAskedToStop(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux's; elsewhere an imgq child uses WatchParent")
	}
	// The attribute Start and StartGraceful set; the kernel does the rest.
	for _, c := range []struct {
		start func(*exec.Cmd) error
		want  syscall.Signal
	}{{Start, syscall.SIGKILL}, {StartGraceful, syscall.SIGTERM}} {
		cmd := exec.Command("true")
		if err := c.start(cmd); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if got := pdeathsig(cmd.SysProcAttr); got != c.want || !cmd.SysProcAttr.Setpgid {
			t.Fatalf("Pdeathsig %v (want %v), Setpgid %v", got, c.want, cmd.SysProcAttr.Setpgid)
		}
	}
}
