//go:build unix && !linux

package proc

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dieWithParent: these systems have no Pdeathsig; an imgq child watches its
// parent itself (WatchParent).
func dieWithParent(*syscall.SysProcAttr, syscall.Signal) {}

func processCPU(int) (time.Duration, error) { return 0, unsupported("cpu time of another process") }

func processMemory(int) (int64, int64, error) {
	return 0, 0, unsupported("memory of another process")
}

func loadAverage() ([]float64, error) { return nil, unsupported("load average") }

func cpuModel() string {
	s, _ := unix.Sysctl("machdep.cpu.brand_string") // macOS; other systems: ""
	return s
}
