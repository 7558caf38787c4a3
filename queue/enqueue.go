package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewID returns a task id in the course's style ("task-" and hex), with 64 random
// bits so ids chosen by many clients at once do not collide.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "task-" + hex.EncodeToString(b[:])
}

func (q *Queue) prepare(t *NewTask) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	if err := ValidateID("task", t.ID); err != nil {
		return err
	}
	if err := validateName(t.ID, t.Name); err != nil {
		return err
	}
	p, err := ParsePriority(string(t.Priority))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", t.ID, err)
	}
	t.Priority = p
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = q.opts.MaxAttempts
	}
	if t.Timeout < 0 {
		return fmt.Errorf("enqueue %s: timeout %s is negative", t.ID, t.Timeout)
	}
	if t.Timeout > 0 && t.Timeout < time.Millisecond {
		t.Timeout = time.Millisecond
	}
	if int64(len(t.Blob)) > q.opts.MaxBlobBytes {
		return fmt.Errorf("enqueue %s: input is %d bytes, limit %d: %w", t.ID, len(t.Blob), q.opts.MaxBlobBytes, ErrTooLarge)
	}
	return nil
}

// A call of the enqueue script carries at most enqueueBatch tasks and, past
// its first task, at most enqueueBatchBytes of payloads and blobs. Redis checks
// maxmemory before a script's first write only, so the bytes bound how far one
// call can go past the limit (a task of 400 KB goes alone, as before batching);
// the count bounds how long one call holds the server (~1 ms).
const (
	enqueueBatch      = 256
	enqueueBatchBytes = 256 << 10
)

// enqueueChunks splits tasks into the calls of the enqueue script: [start, end) pairs.
func enqueueChunks(ts []NewTask) [][2]int {
	var out [][2]int
	start, bytes := 0, 0
	for i, t := range ts {
		size := len(t.Payload) + len(t.Blob)
		if i > start && (i-start >= enqueueBatch || bytes+size > enqueueBatchBytes) {
			out = append(out, [2]int{start, i})
			start, bytes = i, 0
		}
		bytes += size
	}
	if start < len(ts) {
		out = append(out, [2]int{start, len(ts)})
	}
	return out
}

func (q *Queue) enqueueKeys() []string {
	k := q.keys
	return []string{k.PendingHigh, k.Pending, k.PendingLow, k.Signal, k.Events, k.Stats, k.Tasks}
}

// enqueueArgs are the script's arguments for a chunk of prepared tasks.
func (q *Queue) enqueueArgs(ts []NewTask) []any {
	args := make([]any, 0, 4+8*len(ts))
	args = append(args, q.keys.TaskPrefix(), q.keys.BlobPrefix(), q.opts.EventsMaxLen, q.opts.SignalCap)
	for _, t := range ts {
		hasBlob := "0"
		if t.Blob != nil {
			hasBlob = "1"
		}
		args = append(args, t.ID, t.Name, string(t.Priority), t.Payload, t.MaxAttempts,
			hasBlob, t.Blob, t.Timeout.Milliseconds())
	}
	return args
}

// replyError is an error a script reports for one task inside its reply (not
// as the reply itself). It is a redis.Error, so redis.HasErrorPrefix and the
// layout checks read it as they read Redis' own.
type replyError string

func (e replyError) Error() string { return string(e) }

// RedisError marks replyError as a Redis error (redis.Error).
func (replyError) RedisError() {}

// enqueueReply reads one task's entry of the script's reply: 1 created, 0
// already there, or the error's text.
func enqueueReply(v any) (created bool, err error) {
	switch x := v.(type) {
	case int64:
		return x == 1, nil
	case string:
		return false, replyError(x)
	}
	return false, fmt.Errorf("unexpected reply %v", v)
}

// Enqueue adds a task and returns its id. Calling it again with the same id is a
// no-op that reports created=false: a resent command never queues a task twice.
func (q *Queue) Enqueue(ctx context.Context, t NewTask) (id string, created bool, err error) {
	// A batch of one: the same script call and reply (and, with --durable,
	// the WAIT that must follow it on its connection), one round trip.
	res, err := q.EnqueueBatchResults(ctx, []NewTask{t})
	if len(res) == 0 {
		return "", false, err
	}
	return res[0].ID, res[0].Created, res[0].Err
}

// EnqueueBatch adds many tasks in one pipelined round trip and returns their ids.
// When some tasks could not be enqueued (Redis full, connection cut), the error
// is a *BatchError that says which; the others are in the queue. Enqueueing the
// same ids again is safe: a task already there is left as it is.
func (q *Queue) EnqueueBatch(ctx context.Context, ts []NewTask) ([]string, error) {
	res, err := q.EnqueueBatchResults(ctx, ts)
	if res == nil {
		return nil, err
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return ids, err
}

// EnqueueResult is what became of one task of a batch.
type EnqueueResult struct {
	ID      string
	Created bool  // false: a task with this id was already there (a resent enqueue)
	Err     error // not enqueued (or not known to be: a cut connection); safe to resend
}

// BatchError lists the tasks of a batch that were not enqueued.
type BatchError struct {
	Results []EnqueueResult // every task of the batch, in order
}

// Failed returns the indexes of the tasks that were not enqueued.
func (e *BatchError) Failed() []int {
	var out []int
	for i, r := range e.Results {
		if r.Err != nil {
			out = append(out, i)
		}
	}
	return out
}

func (e *BatchError) Error() string {
	f := e.Failed()
	if len(f) == 0 {
		return "enqueue: no task failed"
	}
	return fmt.Sprintf("%d of %d task(s) not enqueued: %v", len(f), len(e.Results), e.Results[f[0]].Err)
}

// Unwrap gives each task's error, for errors.Is (ErrTooLarge, ...).
func (e *BatchError) Unwrap() []error {
	var out []error
	for _, r := range e.Results {
		if r.Err != nil {
			out = append(out, r.Err)
		}
	}
	return out
}

// EnqueueBatchResults is EnqueueBatch with one result per task. A task that
// fails validation (an id, a priority, its size) fails the whole batch before
// anything is sent, with a nil slice; after that, each task succeeds or fails on
// its own, and the error is a *BatchError.
func (q *Queue) EnqueueBatchResults(ctx context.Context, ts []NewTask) ([]EnqueueResult, error) {
	if q.sharded() {
		return q.enqueueSharded(ctx, ts)
	}
	res := make([]EnqueueResult, len(ts))
	for i := range ts {
		if err := q.prepare(&ts[i]); err != nil {
			return nil, err
		}
		res[i].ID = ts[i].ID
	}
	if len(ts) == 0 {
		return res, nil
	}
	// Resending all of them after NOSCRIPT is safe: enqueue is idempotent.
	chunks := enqueueChunks(ts)
	var wait *redis.Cmd
	cmds, err := q.scriptPipeline(ctx, func(p redis.Pipeliner, _ bool) {
		for _, c := range chunks {
			p.EvalSha(ctx, q.script(ctx, enqueueScript).Hash(), q.enqueueKeys(), q.enqueueArgs(ts[c[0]:c[1]])...)
		}
		wait = q.durableWait(ctx, p)
	})
	werr := q.replicated(wait)
	failed := false
	for ci, c := range chunks {
		var replies []any
		cerr := err
		if ci < len(cmds) {
			replies, cerr = cmds[ci].(*redis.Cmd).Slice()
			if cerr == nil && len(replies) != c[1]-c[0] {
				cerr = fmt.Errorf("unexpected reply of %d entries for %d tasks", len(replies), c[1]-c[0])
			}
		}
		for i := c[0]; i < c[1]; i++ {
			terr := cerr
			if terr == nil {
				res[i].Created, terr = enqueueReply(replies[i-c[0]])
			}
			switch {
			case terr != nil:
				res[i].Err = fmt.Errorf("enqueue %s: %w", res[i].ID, q.explain(ctx, explainOOM(terr)))
				failed = true
			case werr != nil:
				res[i].Err = fmt.Errorf("enqueue %s: %w", res[i].ID, werr)
				failed = true
			}
		}
	}
	if failed {
		return res, &BatchError{Results: res}
	}
	if err != nil {
		return res, fmt.Errorf("enqueue batch: %w", q.explain(ctx, err))
	}
	return res, nil
}

// explainOOM turns Redis' "OOM command not allowed" into a sentence that says
// what happened and what to do: the task was not enqueued.
func explainOOM(err error) error {
	if redis.HasErrorPrefix(err, "OOM ") {
		//lint:ignore ST1005 the sentence starts with a name, Redis
		return fmt.Errorf("Redis is out of memory (maxmemory reached and the policy evicts nothing), so the task was not enqueued; free memory or raise maxmemory: %w", err)
	}
	return err
}
