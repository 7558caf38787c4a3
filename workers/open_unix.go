//go:build unix

package workers

import "syscall"

// openNonblock is added to the flags an input is opened with: opening a FIFO
// for reading blocks until a writer comes, and O_NONBLOCK makes the open
// return at once, so the check that refuses anything but a regular file runs.
// It changes nothing for a regular file.
const openNonblock = syscall.O_NONBLOCK
