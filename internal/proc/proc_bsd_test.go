//go:build unix && !linux

package proc

import "syscall"

func pdeathsig(*syscall.SysProcAttr) syscall.Signal { return 0 }
