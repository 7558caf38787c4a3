package proc

import "syscall"

func pdeathsig(a *syscall.SysProcAttr) syscall.Signal { return a.Pdeathsig }
