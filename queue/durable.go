package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated: a durable queue's write reached the master, but not enough
// replicas confirmed it within Options.DurableTimeout. The write may be lost in
// a failover; an enqueue is safe to resend (it is idempotent).
var ErrNotReplicated = errors.New("not confirmed by a replica")

// Redis replicates asynchronously: the master answers a write before any
// replica has it, so a failover (Sentinel promoting a replica after the master
// died) loses the writes of the last moments. A durable queue closes that gap
// for the two writes a user counts on, an enqueue and an acknowledgement (a
// task's completion or failure): after them, on the same connection, it sends
// WAIT <replicas> <timeout>, which returns once that many replicas have
// everything the connection wrote, and reports the write failed otherwise.
// Claims, heartbeats and housekeeping are not waited for: losing one of them
// runs a task again (at least once, as always), it never loses one.
//
// WAIT must run on the connection that wrote: that is why it is queued in the
// write's own pipeline (a pipeline holds one connection), never sent alone.

// durableWait queues the WAIT of a durable queue at the end of p, after the
// writes it confirms; nil when the queue is not durable.
func (q *Queue) durableWait(ctx context.Context, p redis.Pipeliner) *redis.Cmd {
	if !q.opts.Durable {
		return nil
	}
	// Pipeliner has no Wait method: the command by hand.
	return p.Do(ctx, "WAIT", q.opts.DurableReplicas, q.opts.DurableTimeout.Milliseconds())
}

// replicated turns the reply of durableWait's WAIT into nil or an error that
// wraps ErrNotReplicated (or the command's own error).
func (q *Queue) replicated(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Int64()
	if err != nil {
		return fmt.Errorf("wait for %d replica(s): %w", q.opts.DurableReplicas, err)
	}
	if n < int64(q.opts.DurableReplicas) {
		return fmt.Errorf("%w: %d of %d replica(s) within %s", ErrNotReplicated, n, q.opts.DurableReplicas, q.opts.DurableTimeout)
	}
	return nil
}

// durableDefaults fills in the durability options of o.
func durableDefaults(o Options) Options {
	if o.DurableReplicas <= 0 {
		o.DurableReplicas = 1
	}
	if o.DurableTimeout <= 0 {
		o.DurableTimeout = time.Second
	}
	return o
}
