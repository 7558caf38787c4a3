package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Outcome is how a claimed task ended: Err nil completes it, an error fails it
// (retried with backoff, or dead-lettered when permanent or out of attempts).
type Outcome struct {
	Worker  string
	Task    Claimed
	Result  []byte // stored in result:<id> "result" on success (JSON for imgq)
	Output  string // result:<id> "output_path": where the result was written (the course's field)
	Err     error
	Elapsed time.Duration
}

// Backoff is the delay before retry number attempt (1-based): base·2^(attempt-1),
// capped, with ±20% jitter so a burst of failures does not retry in lockstep.
func (q *Queue) Backoff(attempt int) time.Duration {
	d := q.opts.BackoffBase
	for i := 1; i < attempt && d < q.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, q.opts.BackoffMax)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

// failCmd queues the fail script of one outcome (failures are rare: one call each).
func (q *Queue) failCmd(ctx context.Context, p redis.Pipeliner, o Outcome) *redis.Cmd {
	k := q.keys
	id := o.Task.ID
	busy := max(o.Elapsed.Milliseconds(), 0)
	perm := "0"
	if IsPermanent(o.Err) {
		perm = "1"
	}
	return p.EvalSha(ctx, q.script(ctx, failScript).Hash(),
		[]string{k.Task(id), k.Processing, k.Leases, k.Retry, k.Failed, k.Stats, k.Events, k.Worker(o.Worker), k.Tasks},
		id, o.Worker, o.Task.Attempt, truncate(o.Err.Error(), 2000), busy, perm, ms(q.Backoff(o.Task.Attempt)),
		q.opts.EventsMaxLen, q.opts.FailedKeep, k.TaskPrefix(), k.BlobPrefix(), k.ResultPrefix())
}

// completeBatch is the largest number of completions sent in one script call.
const completeBatch = 256

// completeCmd queues one call of the batched complete script for outcomes of
// one worker. What the worker knows (the name, the blob, the course's
// total_time, the batch's busy time) is sent along, so the script neither
// reads nor formats it (see complete.lua).
func (q *Queue) completeCmd(ctx context.Context, p redis.Pipeliner, worker string, outs []Outcome) *redis.Cmd {
	k := q.keys
	args := make([]any, 0, 7+8*len(outs))
	var busy int64
	for _, o := range outs {
		busy += max(o.Elapsed.Milliseconds(), 0)
	}
	args = append(args, worker, q.opts.CompletedKeep, q.opts.EventsMaxLen,
		k.TaskPrefix(), k.ResultPrefix(), k.BlobPrefix(), busy)
	for _, o := range outs {
		ms := max(o.Elapsed.Milliseconds(), 0)
		blob := "0"
		if o.Task.HasBlob {
			blob = "1"
		}
		args = append(args, o.Task.ID, o.Task.Attempt, o.Result, ms, o.Output, clip(o.Task.Name, MaxNameBytes),
			strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64), blob)
	}
	return p.EvalSha(ctx, q.script(ctx, completeScript).Hash(),
		[]string{k.Processing, k.Leases, k.Completed, k.Stats, k.Events, k.Worker(worker), k.Tasks}, args...)
}

// Finish records outcomes in one pipelined round trip (a worker batches what its
// handlers finished meanwhile): the completions of each worker go in one script
// call, each failure in its own. The returned slice has one error per outcome:
// nil, ErrLeaseLost (wrapped) when the claim had lapsed, or a Redis error.
func (q *Queue) Finish(ctx context.Context, outs []Outcome) []error {
	errs, _, _ := q.FinishClaim(ctx, outs, "", 0)
	return errs
}

// FinishClaim is Finish plus, in the same round trip, a claim of up to n tasks for
// worker (as Claim), so a busy worker refills the slots its acks free without a
// second round trip. The claim runs after the acks in the pipeline; the caller
// must count n only slots that are free once these outcomes are recorded.
func (q *Queue) FinishClaim(ctx context.Context, outs []Outcome, worker string, n int) ([]error, []Claimed, error) {
	if q.sharded() && len(outs) > 0 {
		return q.finishClaimSharded(ctx, outs, worker, n)
	}
	errs := make([]error, len(outs))
	if len(outs) == 0 {
		return errs, nil, nil
	}
	calls := planFinish(outs)
	var claim *redis.Cmd
	var wait *redis.Cmd
	cmds, err := q.scriptPipeline(ctx, func(p redis.Pipeliner, again bool) {
		for _, c := range calls {
			if c.fail {
				q.failCmd(ctx, p, outs[c.idx[0]])
				continue
			}
			batch := make([]Outcome, len(c.idx))
			for j, i := range c.idx {
				batch[j] = outs[i]
			}
			q.completeCmd(ctx, p, outs[c.idx[0]].Worker, batch)
		}
		// Before the claim: its writes need no replica (see durable.go).
		wait = q.durableWait(ctx, p)
		// After NOSCRIPT, claim again only if the claim itself was refused: a
		// claim that ran must not run twice (its tasks would sit claimed by no
		// one until their leases lapse); its reply is then the one kept.
		if n > 0 && (!again || claim != nil && isNoScript(claim.Err())) {
			claim = p.EvalSha(ctx, q.script(ctx, claimScript).Hash(), q.claimKeys(worker), q.claimArgs(worker, n)...)
		}
	})
	q.finishReplies(ctx, outs, calls, cmds, err, errs)
	if werr := q.replicated(wait); werr != nil {
		// Recorded on the master but maybe not on a replica: not acknowledged.
		// The worker retries: the scripts take a resent ack as done (OK, or
		// lease lost for a failure already retried), and WAIT is asked again.
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("finish %s: %w", outs[i].Task.ID, werr)
			}
		}
	}
	claimed, cerr := q.claimReply(ctx, worker, claim)
	return errs, claimed, cerr
}

// finishCall is one command of FinishClaim's pipeline: the outcomes it answers
// for, in order.
type finishCall struct {
	idx  []int // indexes into outs
	fail bool
}

// planFinish groups outcomes into calls: each failure alone, the completions
// of each worker in batches of up to completeBatch.
func planFinish(outs []Outcome) []finishCall {
	var calls []finishCall
	byWorker := map[string]int{} // worker -> index in calls of its open completion batch
	for i, o := range outs {
		if o.Err != nil {
			calls = append(calls, finishCall{idx: []int{i}, fail: true})
			continue
		}
		c, ok := byWorker[o.Worker]
		if !ok || len(calls[c].idx) >= completeBatch {
			calls = append(calls, finishCall{})
			c = len(calls) - 1
			byWorker[o.Worker] = c
		}
		calls[c].idx = append(calls[c].idx, i)
	}
	return calls
}

// finishReplies sets errs[i] from the reply of the call that carried outs[i]
// (err, the pipeline's, for calls that got no reply).
func (q *Queue) finishReplies(ctx context.Context, outs []Outcome, calls []finishCall, cmds []redis.Cmder, err error, errs []error) {
	for ci, c := range calls {
		var cerr error
		if ci < len(cmds) {
			cerr = cmds[ci].Err()
		} else {
			cerr = err
		}
		if cerr != nil && !isNil(cerr) {
			for _, i := range c.idx {
				errs[i] = fmt.Errorf("finish %s: %w", outs[i].Task.ID, q.explain(ctx, leaseLost(cerr)))
			}
			continue
		}
		if c.fail {
			continue
		}
		replies, _ := cmds[ci].(*redis.Cmd).Slice()
		for j, i := range c.idx {
			var r string
			if j < len(replies) {
				r = str(replies[j])
			}
			if r != "OK" {
				if r == "" {
					r = "no reply for this task"
				}
				errs[i] = fmt.Errorf("finish %s: %w", outs[i].Task.ID, leaseLostReply(r))
			}
		}
	}
}

// claimReply reads the tasks the claim riding on FinishClaim's pipeline got
// (none when there was no claim).
func (q *Queue) claimReply(ctx context.Context, worker string, claim *redis.Cmd) ([]Claimed, error) {
	if claim == nil {
		return nil, nil
	}
	res, err := claim.Slice()
	if err != nil {
		if isNil(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("claim for %s: %w", worker, q.explain(ctx, err))
	}
	return parseClaimed(worker, res)
}

// Complete acknowledges one task. See Finish.
func (q *Queue) Complete(ctx context.Context, worker string, t Claimed, result []byte, elapsed time.Duration) error {
	return q.Finish(ctx, []Outcome{{Worker: worker, Task: t, Result: result, Elapsed: elapsed}})[0]
}

// Fail records a failed run of one task. See Finish.
func (q *Queue) Fail(ctx context.Context, worker string, t Claimed, cause error, elapsed time.Duration) error {
	if cause == nil {
		return errors.New("fail: nil error")
	}
	return q.Finish(ctx, []Outcome{{Worker: worker, Task: t, Err: cause, Elapsed: elapsed}})[0]
}

// Release hands an unfinished task back to the front of its pending list without
// using up an attempt (graceful shutdown).
func (q *Queue) Release(ctx context.Context, worker string, t Claimed) error {
	if q.sharded() {
		s, err := q.shardOf(t)
		if err != nil {
			return fmt.Errorf("release: %w", err)
		}
		if err := s.Release(ctx, worker, t); err != nil {
			return err
		}
		if t.shard > 0 {
			_ = q.wake(ctx, 1) // shard 0 holds the tokens (sharded.go); best effort
		}
		return nil
	}
	k := q.keys
	err := q.script(ctx, releaseScript).Run(ctx, q.rdb,
		[]string{k.Task(t.ID), k.Processing, k.Leases, k.PendingHigh, k.Pending, k.PendingLow, k.Signal, k.Events, k.Worker(worker)},
		t.ID, worker, t.Attempt, q.opts.EventsMaxLen, q.opts.SignalCap).Err()
	if err != nil {
		return fmt.Errorf("release %s: %w", t.ID, leaseLost(err))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
