package cli

import "runtime"

func numCPU() int { return runtime.NumCPU() }
