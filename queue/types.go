package queue

import (
	"errors"
	"fmt"
	"time"
)

// Priority orders pending work: every high task is served before any normal one,
// every normal before any low; FIFO within a priority.
type Priority string

const (
	High   Priority = "high"
	Normal Priority = "normal"
	Low    Priority = "low"
)

// ParsePriority accepts high, normal (or empty) and low.
func ParsePriority(s string) (Priority, error) {
	switch Priority(s) {
	case High, Low:
		return Priority(s), nil
	case Normal, "":
		return Normal, nil
	}
	return "", fmt.Errorf("unknown priority %q (valid: high, normal, low)", s)
}

// Status is a task's state, as stored in its hash's "status" field.
type Status string

const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusRetry      Status = "retry" // imgq's own: waiting out its backoff in Q:retry
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed" // dead-lettered in Q:failed
)

// Errors callers branch on.
var (
	// ErrLeaseLost: the task is no longer this worker's claim (its lease lapsed and
	// it was recovered, or it was flushed). The worker must drop its result.
	ErrLeaseLost = errors.New("lease lost: the task is no longer this worker's claim")
	// ErrNotFound: no task with that id (or prefix).
	ErrNotFound = errors.New("task not found")
	// ErrAmbiguous: a prefix matched more than one task.
	ErrAmbiguous = errors.New("task id prefix is ambiguous")
	// ErrTooLarge: an input blob is over Options.MaxBlobBytes.
	ErrTooLarge = errors.New("task input too large")
)

// PermanentError marks an error that retrying cannot fix (a corrupt image, an
// unknown filter, a missing file): the task is dead-lettered at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that the task is not retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err (or anything it wraps) is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// NewTask is what a producer enqueues.
type NewTask struct {
	ID          string   // chosen by the client so a retried enqueue is a no-op; empty: generated
	Name        string   // human label, shown in the dashboard
	Priority    Priority // default Normal
	Payload     []byte   // the course's "data" field: a JSON object (name, image_path, output_path, ...)
	Blob        []byte   // optional input bytes that travel with the task
	MaxAttempts int      // 0: Options.MaxAttempts
	// Timeout limits each run of this task (stored as timeout_ms), overriding
	// the worker's default (imgq worker --task-timeout); 0: the worker's.
	Timeout time.Duration
	// ShardKey, on a sharded queue (Options.Shards > 1), picks the shard: tasks
	// with one key go to one shard, so they keep their FIFO order (per
	// priority). Empty: the task's id picks it, so a resent enqueue of the same
	// id lands on the same shard and stays a no-op.
	ShardKey string
}

// Claimed is a task a worker holds under a lease.
type Claimed struct {
	ID          string
	Name        string
	Priority    Priority
	Payload     []byte
	HasBlob     bool
	Attempt     int // 1 for the first run; part of the claim's fencing token
	MaxAttempts int
	CreatedAt   time.Time
	ClaimedAt   time.Time
	Timeout     time.Duration // the task's own time limit (NewTask.Timeout); 0: the worker's default
	shard       int           // the sub-queue of a sharded queue that holds it (sharded.go)
}

// TaskInfo is the whole record of a task, as the detail view shows it.
type TaskInfo struct {
	ID           string
	Name         string
	Priority     Priority
	Status       Status
	Payload      []byte
	Attempts     int
	MaxAttempts  int
	Worker       string
	Error        string
	Result       []byte // result:<id> "result" (imgq's JSON)
	Output       string // result:<id> "output_path"
	CreatedAt    time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
	BlobBytes    int64
	Fields       map[string]string // the raw task:<id> hash, for anything not above
	ResultFields map[string]string // the raw result:<id> hash
	// Keys are the key names of the (sub-)queue that holds the task: its
	// shard's on a sharded queue.
	Keys Keys
}

// Event is one transition of one task (or worker) from the Q:events stream. A
// stream entry of a claimed or completed batch lists its tasks as JSON; it is
// read as one Event per task, all with the entry's ID.
type Event struct {
	ID       string // stream id, e.g. 1732581234567-0 (shared by the tasks of a batch entry)
	Time     time.Time
	Kind     string // see the Event* constants
	Task     string
	Name     string
	Worker   string
	Prev     string // for recovered: the worker that lost the task
	Observed bool   // derived by imgq from a worker it did not start (a course worker), not reported by it
	Duration time.Duration
	Error    string
	Attempt  int
	Count    int // for flushed/requeued batches
}

// Event kinds, as written by the scripts.
const (
	EventEnqueued     = "enqueued"
	EventClaimed      = "claimed"
	EventCompleted    = "completed"
	EventRetried      = "retried"
	EventFailed       = "failed" // dead-lettered
	EventRecovered    = "recovered"
	EventReleased     = "released"
	EventRequeued     = "requeued"
	EventFlushed      = "flushed"
	EventWorkerUp     = "worker_up"
	EventWorkerGone   = "worker_gone"
	EventWorkerStop   = "worker_stopped"
	EventLeaseRefused = "ack_refused"
)

// Stats is a snapshot of the queue, read in one round trip.
type Stats struct {
	At          time.Time // Redis TIME when read
	PendingHigh int64
	Pending     int64
	PendingLow  int64
	Processing  int64
	Retry       int64
	Completed   int64 // length of the (trimmed) completed list
	Failed      int64
	Totals      Totals
	Workers     []WorkerStat // imgq's registered workers, then those it observed
	Foreign     []ForeignClaim
	FailRate    float64 // failure injection shared through Q:config
	Paused      bool
	// Pace is the teaching pace shared through Q:config (pace_ms): the least
	// time a worker spends on each task, so a class can follow the demo. 0: off.
	Pace time.Duration
	// OldestPending is the queue latency: how long the oldest pending task has
	// waited, by Redis' clock (0 when nothing waits); the figure OldestPending
	// reads on its own, here in the same round trip as the rest.
	OldestPending time.Duration
	// Shards, for a queue of Options.Shards > 1, is each sub-queue's part of
	// the figures above (which are their sums), in shard order; nil otherwise.
	Shards []ShardStat
}

// ShardStat is one sub-queue of a sharded queue: its name (a hash tag), the
// Redis Cluster slot its keys hash to, and its depths.
type ShardStat struct {
	Name       string
	Slot       int
	Pending    int64 // all priorities
	Processing int64
	Retry      int64
	Failed     int64
	Completed  int64
}

// ForeignClaim is an entry of processing with no imgq lease: a task claimed by
// a worker imgq did not start (a course worker), which imgq cannot vouch for.
type ForeignClaim struct {
	ID     string
	Worker string
	Since  time.Time // the record's started_at, or when the observer first saw it
	Name   string    // the task's label (its name, or the name in its data)
}

// Stuck returns the foreign claims older than after, by Redis' clock.
func (s Stats) Stuck(after time.Duration) []ForeignClaim {
	var out []ForeignClaim
	for _, c := range s.Foreign {
		if !c.Since.IsZero() && s.At.Sub(c.Since) >= after {
			out = append(out, c)
		}
	}
	return out
}

// PendingTotal is the work waiting, all priorities.
func (s Stats) PendingTotal() int64 { return s.PendingHigh + s.Pending + s.PendingLow }

// Totals are counters since the queue was created (or flushed).
type Totals struct {
	Enqueued, Claimed, Completed, Retried, Failed, Recovered, Requeued int64
}

// WorkerState is what the dashboard shows for a worker.
type WorkerState string

const (
	WorkerIdle   WorkerState = "idle"
	WorkerBusy   WorkerState = "busy"
	WorkerPaused WorkerState = "paused"
	WorkerGone   WorkerState = "gone"
	WorkerStop   WorkerState = "stopped"
)

// WorkerStat is one worker as registered in Redis.
type WorkerStat struct {
	ID          string
	Host        string
	PID         int
	Concurrency int
	State       WorkerState
	StartedAt   time.Time
	LastSeen    time.Time
	Processed   int64
	Failed      int64         // failed attempts, retried or not
	Retried     int64         // failed attempts sent back for another try
	Dead        int64         // tasks dead-lettered (failed for good)
	Lost        int64         // tasks recovered from it after its lease lapsed (it died or stalled)
	Busy        time.Duration // total time spent in handlers
	Active      int64         // tasks held now
	Current     string        // one task held now, if any
	CurrentName string
	CurrentFor  time.Duration // how long Current has run
	// Observed: a worker imgq did not start (a course worker). It never reports;
	// imgq derives it from the course's keys: host, pid and concurrency are unknown.
	Observed bool
}

// MeanTime is the mean handler time per finished task.
func (w WorkerStat) MeanTime() time.Duration {
	n := w.Processed + w.Failed
	if n == 0 {
		return 0
	}
	return w.Busy / time.Duration(n)
}
