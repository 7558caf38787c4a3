package pipeline

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a helper goroutine (row bands,
// encoder strips, decoder bands) outlives the call that started it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
