//go:build !unix

package e2e

import (
	"os"
	"testing"
)

// freeze needs SIGSTOP, which this system does not have.
func freeze(t *testing.T, _ *os.Process) {
	t.Helper()
	t.Skip("freezing a process needs SIGSTOP (unix only)")
}

func thaw(*os.Process) {}
