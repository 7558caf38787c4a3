package queue

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// IsUnavailable reports whether err says Redis could not be reached or could not
// serve (connection refused or cut, a pool or network timeout, a server still
// loading its data or without a master), as opposed to something about the task
// itself. A task that failed only because of this has not had a fair attempt:
// a worker hands it back (Release) rather than recording a failed attempt.
// A context's own cancellation or deadline is not unavailability: that is the
// caller's (a stopping worker, a task time limit).
func IsUnavailable(err error) bool {
	if err == nil || IsPermanent(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// A network operation's error, not any error with a Timeout method: a
	// missing file (*fs.PathError has one) is not an outage.
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "BUSY "} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	return false
}
