package metrics

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// worker, a pool, a client or a subscription not stopped).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
