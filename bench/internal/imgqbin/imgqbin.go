// Package imgqbin builds the imgq command of the parent module for the
// comparison commands of this nested module, which measure imgq through its
// own `imgq bench ...` subcommands (so the two can never disagree).
package imgqbin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build runs `go build` of the imgq module at root (or, when root is "", the
// one above the working folder) into a temporary folder, and returns the
// binary and a function removing it. Build output goes to log.
func Build(ctx context.Context, root string, log io.Writer) (bin string, cleanup func(), err error) {
	if root == "" {
		if root, err = Root(); err != nil {
			return "", nil, err
		}
	}
	dir, err := os.MkdirTemp("", "imgqbin-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "imgq")
	fmt.Fprintf(log, "building imgq from %s\n", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	// The main module is pure Go; building it so here too keeps the binary
	// the one users get, whatever CGO_ENABLED this module is built with.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build imgq in %s: %w", root, err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// Root finds the imgq module at or above the working folder.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if IsRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the imgq repository (cd bench)")
		}
		dir = parent
	}
}

// IsRoot tells whether dir holds the imgq module's go.mod.
func IsRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.HasPrefix(string(b), "module github.com/imgq/imgq\n")
}
