//go:build unix

package e2e

import (
	"os"
	"syscall"
	"testing"
)

// freeze stops a process as a closed laptop lid would (SIGSTOP); thaw resumes it.
func freeze(t *testing.T, p *os.Process) {
	t.Helper()
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

func thaw(p *os.Process) { _ = p.Signal(syscall.SIGCONT) }
