//go:build !unix

package workers

// openNonblock: Windows has no FIFOs in the file system (named pipes live in
// \\.\pipe\, which os.Root cannot reach), so nothing is needed there.
const openNonblock = 0
