//go:build unix

package proc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func prepare(cmd *exec.Cmd, graceful bool) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	sig := syscall.SIGKILL
	if graceful {
		sig = syscall.SIGTERM
	}
	dieWithParent(cmd.SysProcAttr, sig)
}

func started(*exec.Cmd, bool) {}

func killGroup(cmd *exec.Cmd) error {
	// The child leads its group (Setpgid), so -pid is the whole group.
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func terminate(cmd *exec.Cmd) error { return cmd.Process.Signal(syscall.SIGTERM) }

func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }

func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, os.NewSyscallError("getrusage", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// parentProbe: an orphan is adopted by init or a subreaper, so its parent pid changes.
func parentProbe(pid int) (alive func() bool, release func(), err error) {
	return func() bool { return os.Getppid() == pid }, func() {}, nil
}
