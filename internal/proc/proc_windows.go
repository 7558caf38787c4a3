package proc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// jobs maps a process started by Start to its job object. An entry is removed
// (and the job handle closed, killing whatever is left in it) when the
// exec.Cmd is garbage collected.
var jobs sync.Map // *os.Process → windows.Handle

func prepare(cmd *exec.Cmd, _ bool) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Its own console process group: CTRL_BREAK can be sent to it alone, and a
	// Ctrl-C typed in our console is ours to handle (we then Terminate it).
	cmd.SysProcAttr.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
}

// started puts the child in a job object, so KillGroup ends it and what it
// started; unless graceful, the job also kills them when its last handle
// closes, i.e. when this process exits. Without a job (assignment refused)
// the child still works; KillGroup then kills only it.
func started(cmd *exec.Cmd, graceful bool) {
	job, err := newJob(!graceful)
	if err != nil {
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err != nil {
		_ = windows.CloseHandle(job)
		return
	}
	err = windows.AssignProcessToJobObject(job, h)
	_ = windows.CloseHandle(h)
	if err != nil {
		_ = windows.CloseHandle(job)
		return
	}
	p := cmd.Process
	jobs.Store(p, job)
	runtime.AddCleanup(cmd, func(p *os.Process) {
		if j, ok := jobs.LoadAndDelete(p); ok {
			_ = windows.CloseHandle(j.(windows.Handle))
		}
	}, p)
}

func newJob(killOnClose bool) (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("create job object: %w", err)
	}
	if !killOnClose {
		return job, nil
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return 0, fmt.Errorf("set job object limits: %w", err)
	}
	return job, nil
}

func killGroup(cmd *exec.Cmd) error {
	if j, ok := jobs.Load(cmd.Process); ok {
		if err := windows.TerminateJobObject(j.(windows.Handle), 1); err == nil {
			return nil
		}
	}
	return cmd.Process.Kill()
}

func terminate(cmd *exec.Cmd) error {
	// CTRL_BREAK reaches only the group the child leads, and only if it was
	// started as a group leader (Start does): sent to any other pid it would
	// reach every process on our console, us included.
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.CreationFlags&syscall.CREATE_NEW_PROCESS_GROUP != 0 {
		if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(cmd.Process.Pid)); err == nil {
			return nil
		}
	}
	return cmd.Process.Kill()
}

func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }

// cpuTimes is the user+kernel time of an open process handle.
func cpuTimes(h windows.Handle) (time.Duration, error) {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return 0, err
	}
	// FILETIME durations count 100 ns intervals.
	ticks := func(f windows.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
	return time.Duration((ticks(kernel) + ticks(user)) * 100), nil
}

func selfCPU() (time.Duration, error) {
	d, err := cpuTimes(windows.CurrentProcess())
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return d, nil
}

func processCPU(pid int) (time.Duration, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time of pid %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	d, err := cpuTimes(h)
	if err != nil {
		return 0, fmt.Errorf("cpu time of pid %d: %w", pid, err)
	}
	return d, nil
}

func processMemory(int) (int64, int64, error) {
	return 0, 0, unsupported("memory of another process")
}

func loadAverage() ([]float64, error) { return nil, unsupported("load average") }

func cpuModel() string { return os.Getenv("PROCESSOR_IDENTIFIER") }

// parentProbe holds a handle to the parent, signalled when it exits (a pid
// alone could be reused by another process).
func parentProbe(pid int) (alive func() bool, release func(), err error) {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(pid))
	if err != nil {
		return nil, nil, fmt.Errorf("watch parent %d: %w", pid, err)
	}
	alive = func() bool {
		ev, err := windows.WaitForSingleObject(h, 0)
		return err == nil && ev == uint32(windows.WAIT_TIMEOUT)
	}
	return alive, func() { _ = windows.CloseHandle(h) }, nil
}
