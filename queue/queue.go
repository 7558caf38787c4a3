// Package queue is imgq's reliable work queue on Redis.
//
// Each state transition is one Lua script (lua/*.lua), so every move of a task is
// atomic; lease times come from Redis TIME, never from a machine's clock; and the
// data model is the course's own (lesson 4): its pending lists, processing hash,
// completed and failed lists and task:<id> / result:<id> records, so the course's
// Python producer and worker and its redis-cli commands work on an imgq queue
// side by side with imgq. See docs/ARCHITECTURE.md for the layout.
package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options tune a queue. Zero fields take the defaults shown.
type Options struct {
	Name          string        // "image_processing"
	Lease         time.Duration // 30s: a claim lapses unless its worker heartbeats
	MaxAttempts   int           // 3: runs before a retryable failure is dead-lettered
	BackoffBase   time.Duration // 1s: first retry delay, doubled each attempt
	BackoffMax    time.Duration // 1m
	CompletedKeep int64         // 1000: newest completed ids kept; older tasks are deleted
	FailedKeep    int64         // 10000: dead letters kept
	EventsMaxLen  int64         // 10000: approximate cap of the events stream
	WorkerTimeout time.Duration // 10s: a worker silent this long is gone
	KeepGone      time.Duration // 10m: how long a gone worker stays visible
	MaxBlobBytes  int64         // 20 MiB: input bytes carried by one task
	SignalCap     int64         // 10000: wake-up tokens kept for idle workers
	// StuckAfter (1m): a claim with no imgq lease (a course worker's) this old is
	// shown as stuck, and requeued by housekeeping when RecoverStuck is set.
	StuckAfter   time.Duration
	RecoverStuck bool // false: stuck claims wait for `imgq requeue --stuck` or the dashboard's key
	// Durable (imgq --durable): every enqueue and acknowledgement waits until
	// DurableReplicas replicas (1) have it, up to DurableTimeout (1s; keep it
	// under the client's read timeout, 3s by default), and fails with
	// ErrNotReplicated otherwise: a failover then loses none of them. It needs
	// a replica, and costs a replication round trip per batch (see durable.go).
	Durable         bool
	DurableReplicas int
	DurableTimeout  time.Duration
	// Shards (imgq --shards N; 0 or 1: one queue) makes one logical queue of N
	// sub-queues named by ShardNames, each in its own Cluster slot, so a Redis
	// Cluster spreads the queue, its blobs and its load over its masters (see
	// sharded.go). On one Redis it works the same, in one process.
	Shards int
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = time.Minute
	}
	if o.CompletedKeep <= 0 {
		o.CompletedKeep = 1000
	}
	if o.FailedKeep <= 0 {
		o.FailedKeep = 10000
	}
	if o.StuckAfter <= 0 {
		o.StuckAfter = time.Minute
	}
	if o.EventsMaxLen <= 0 {
		o.EventsMaxLen = 10000
	}
	if o.WorkerTimeout <= 0 {
		o.WorkerTimeout = 10 * time.Second
	}
	if o.KeepGone <= 0 {
		o.KeepGone = 10 * time.Minute
	}
	if o.MaxBlobBytes <= 0 {
		o.MaxBlobBytes = 20 << 20
	}
	if o.SignalCap <= 0 {
		o.SignalCap = 10000
	}
	if o.Shards < 2 {
		o.Shards = 0
	}
	return durableDefaults(o)
}

// Queue is a handle on one queue in one Redis. It is safe for concurrent use.
type Queue struct {
	rdb   redis.UniversalClient
	opts  Options
	keys  Keys
	flags atomic.Int32 // does the server take script flags (flagsOK...)
	// shards are the sub-queues of a sharded queue (Options.Shards > 1; see
	// sharded.go); rotor turns the shard its claims start at, spread the
	// shard its next task without an id goes to.
	shards []*Queue
	rotor  atomic.Uint32
	spread atomic.Uint32
}

// New returns a queue on rdb. It does not talk to Redis; the first command does.
func New(rdb redis.UniversalClient, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	if err := ValidateName(opts.Name); err != nil {
		return nil, err
	}
	guardReshard(rdb) // on a Cluster: no script runs half-way during a slot migration
	q := &Queue{rdb: rdb, opts: opts, keys: NewKeys(opts.Name)}
	if opts.Shards > 1 {
		if err := q.split(); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// Keys returns the queue's key names.
func (q *Queue) Keys() Keys { return q.keys }

// Options returns the options in force, defaults filled in.
func (q *Queue) Options() Options { return q.opts }

// Client returns the Redis client the queue uses.
func (q *Queue) Client() redis.UniversalClient { return q.rdb }

// Name is the queue's name.
func (q *Queue) Name() string { return q.opts.Name }

func ms(d time.Duration) int64 { return d.Milliseconds() }

func fromMS(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// leaseLost turns the scripts' LEASE_LOST error reply into ErrLeaseLost.
func leaseLost(err error) error {
	if redis.HasErrorPrefix(err, "LEASE_LOST") {
		return fmt.Errorf("%w (%s)", ErrLeaseLost, strings.TrimPrefix(err.Error(), "LEASE_LOST "))
	}
	return err
}

// leaseLostReply is leaseLost for one task's entry in a batch script's reply
// table (a plain string there, not an error reply): ErrLeaseLost for
// LEASE_LOST, else an error saying r.
func leaseLostReply(r string) error {
	if strings.HasPrefix(r, "LEASE_LOST") {
		return fmt.Errorf("%w (%s)", ErrLeaseLost, strings.TrimPrefix(r, "LEASE_LOST "))
	}
	return errors.New(r)
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	if err := q.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// ServerVersion returns redis_version from INFO server ("" when the server hides it,
// as the embedded one does).
func (q *Queue) ServerVersion(ctx context.Context) (string, error) {
	info, err := q.rdb.Info(ctx, "server").Result()
	if redis.HasErrorPrefix(err, "NOPERM") {
		// A least-privilege ACL user (docs/ACL.md) may not run INFO: the
		// version is a nicety, so say nothing rather than fail.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("info server: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v, nil
		}
	}
	return "", nil
}

// isNil reports a missing key or empty reply.
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
