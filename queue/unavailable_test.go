package queue_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/imgq/imgq/queue"
)

// Only an unreachable Redis is an outage: a missing input file (whose
// *fs.PathError has a Timeout method, like a net.Error) or a permanent error
// must fail the task, not hand it back for ever.
func TestIsUnavailable(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/imgq-test")
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("blob of task-1: %w", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}), true},
		{statErr, false},
		{&fs.PathError{Op: "statat", Path: "images/missing.jpg", Err: fs.ErrNotExist}, false},
		{queue.Permanent(fmt.Errorf("input: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})), false},
		{errors.New("boom"), false},
		{nil, false},
	} {
		if got := queue.IsUnavailable(c.err); got != c.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
