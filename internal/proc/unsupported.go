//go:build !linux

package proc

import (
	"errors"
	"fmt"
	"runtime"
)

// unsupported is the error of a measurement this system cannot make (Linux
// makes them all, so only the other systems' files use it).
func unsupported(what string) error {
	return fmt.Errorf("%s: %w on %s", what, errors.ErrUnsupported, runtime.GOOS)
}
