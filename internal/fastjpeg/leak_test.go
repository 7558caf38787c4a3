package fastjpeg

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a decoder or encoder helper
// goroutine outlives its call.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
