package queue

// A sharded queue (Options.Shards = N > 1) is one logical queue over N
// sub-queues named by ShardNames: one hash tag, so one Cluster slot, each.
//
// Every shard is a whole Queue of its own: pending lists, processing hash,
// leases, retries, dead letters, blobs, events and worker records. So every
// script stays a one-slot atomic step, and recovery, retries and dead letters
// work per shard exactly as on an unsharded queue. The logical queue only
// routes:
//   - a task goes to the shard its id (or NewTask.ShardKey) hashes to, so a
//     resent enqueue lands where the first one did and stays a no-op, and the
//     input bytes live on their task's shard (a Cluster's memory grows with
//     its masters, not on one);
//   - a claim reads every shard's three depths in one pipelined round, then
//     takes from the shards that hold the best priority present, starting at
//     a shard that rotates from claim to claim, so priorities hold across
//     shards and no shard starves;
//   - an acknowledgement goes to the shard that made the claim (Claimed.shard);
//   - workers register and heartbeat on every shard (each shard's housekeeping
//     judges them by its own registry, and recovers its own leases);
//   - stats, events, flush, requeue and task lookups merge over all shards.
//
// Wake-up tokens: one BLPOP can watch one slot only, so idle workers block on
// shard 0's signal list. Enqueues on the other shards push their tokens there
// from Go, right after their scripts; those shards' scripts push none (their
// SignalCap is 0). So do the calls that put tasks back in pending on shard
// i > 0 (recovery, a retry whose backoff ended, release, requeue: putBack),
// by their counts.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// split makes q a sharded queue: its shards, from its options.
func (q *Queue) split() error {
	names, err := ShardNames(q.opts.Name, q.opts.Shards)
	if err != nil {
		return err
	}
	q.shards = make([]*Queue, len(names))
	for i, name := range names {
		o := q.opts
		o.Name, o.Shards = name, 0
		if i > 0 {
			o.SignalCap = 0 // tokens go to shard 0's signal (see above)
		}
		q.shards[i] = &Queue{rdb: q.rdb, opts: o, keys: NewKeys(name)}
	}
	return nil
}

// Shards returns the sub-queues of a sharded queue, in order (nil when q is
// not sharded). Each is a plain Queue on its own keys.
func (q *Queue) Shards() []*Queue { return q.shards }

// AllKeys returns the key names of every queue in Redis that q stands for:
// its own, or each shard's.
func (q *Queue) AllKeys() []Keys {
	if !q.sharded() {
		return []Keys{q.keys}
	}
	out := make([]Keys, len(q.shards))
	for i, s := range q.shards {
		out[i] = s.keys
	}
	return out
}

func (q *Queue) sharded() bool { return len(q.shards) > 0 }

// shardFor is the shard a task id (or shard key) belongs to.
func (q *Queue) shardFor(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(len(q.shards)))
}

// eachShard runs fn on every shard at once (on a Cluster they sit on different
// masters) and returns the first error. Each fn writes only its own index of
// whatever it fills in.
func (q *Queue) eachShard(ctx context.Context, fn func(ctx context.Context, i int, s *Queue) error) error {
	errs := make([]error, len(q.shards))
	var wg sync.WaitGroup
	for i, s := range q.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(ctx, i, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// eachGroup runs fn at once for every shard s that has items (by[s]: the
// indexes of the items it holds).
func (q *Queue) eachGroup(ctx context.Context, by [][]int, fn func(ctx context.Context, s int, sq *Queue)) {
	_ = q.eachShard(ctx, func(ctx context.Context, s int, sq *Queue) error {
		if len(by[s]) > 0 {
			fn(ctx, s, sq)
		}
		return nil
	})
}

// pick returns the items of all at indexes idx, in that order.
func pick[T any](all []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = all[i]
	}
	return out
}

// enqueueSharded sends each shard its tasks, then shard 0's signal the wake-up
// tokens of the tasks created elsewhere.
func (q *Queue) enqueueSharded(ctx context.Context, ts []NewTask) ([]EnqueueResult, error) {
	// Validate all before sending any: a batch with one bad task is refused
	// whole, as on one queue. A task without an id gets one that hashes to
	// the next shard in turn: exact round-robin, and still idempotent (the id
	// alone names the shard).
	for i := range ts {
		if ts[i].ID == "" && ts[i].ShardKey == "" {
			ts[i].ID = q.roundRobinID()
		}
		if err := q.prepare(&ts[i]); err != nil {
			return nil, err
		}
	}
	res := make([]EnqueueResult, len(ts))
	by := make([][]int, len(q.shards))
	for i, t := range ts {
		res[i].ID = t.ID
		key := t.ShardKey
		if key == "" {
			key = t.ID
		}
		s := q.shardFor(key)
		by[s] = append(by[s], i)
	}
	var mu sync.Mutex
	var failed bool
	var firstErr error
	tokens := int64(0)
	q.eachGroup(ctx, by, func(ctx context.Context, s int, sq *Queue) {
		got, err := sq.EnqueueBatchResults(ctx, pick(ts, by[s]))
		mu.Lock()
		defer mu.Unlock()
		var be *BatchError
		switch {
		case errors.As(err, &be):
			failed = true
		case err != nil && len(got) == 0:
			for _, i := range by[s] {
				res[i].Err = err
			}
			failed = true
		case err != nil && firstErr == nil:
			firstErr = err
		}
		for j, r := range got {
			res[by[s][j]] = r
			if s > 0 && r.Created && r.Err == nil {
				tokens++
			}
		}
	})
	if tokens > 0 {
		if err := q.wake(ctx, tokens); err != nil && firstErr == nil {
			// The tasks are in; idle workers find them at their next poll.
			firstErr = fmt.Errorf("enqueue batch: wake workers: %w", err)
		}
	}
	if failed {
		return res, &BatchError{Results: res}
	}
	return res, firstErr
}

// roundRobinID returns a new task id that hashes to the next shard in turn
// (about N draws of NewID).
func (q *Queue) roundRobinID() string {
	want := int(q.spread.Add(1) % uint32(len(q.shards)))
	for {
		if id := NewID(); q.shardFor(id) == want {
			return id
		}
	}
}

// wake pushes n wake-up tokens to shard 0's signal list, up to its cap.
func (q *Queue) wake(ctx context.Context, n int64) error {
	home := q.shards[0]
	n = min(n, home.opts.SignalCap)
	tokens := make([]any, n)
	for i := range tokens {
		tokens[i] = "1"
	}
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, home.keys.Signal, tokens...)
		p.LTrim(ctx, home.keys.Signal, 0, home.opts.SignalCap-1)
		return nil
	})
	return err
}

// claimSharded takes up to n tasks over the shards: the best priority present
// anywhere first, shards in an order that rotates from call to call. A shard
// that cannot be reached (its master down) is skipped: the others go on
// serving; its error is returned only when nothing was claimed.
func (q *Queue) claimSharded(ctx context.Context, worker string, n int) ([]Claimed, error) {
	depths, derr := q.pendingDepths(ctx)
	return q.claimFrom(ctx, worker, n, depths, derr)
}

// claimFrom is claimSharded with the shards' depths already read.
func (q *Queue) claimFrom(ctx context.Context, worker string, n int, depths [][3]int64, derr error) ([]Claimed, error) {
	start := int(q.rotor.Add(1) % uint32(len(q.shards)))
	var out []Claimed
	var cerr error
	for level := 1; level <= 3 && len(out) < n; level++ {
		for k := range q.shards {
			if len(out) >= n {
				break
			}
			i := (start + k) % len(q.shards)
			if depths[i][level-1] <= 0 {
				continue
			}
			// Lists up to this level only: a shard must not hand out normal
			// work while another holds high.
			got, err := q.shards[i].claim(withoutReshardWait(ctx), worker, n-len(out), level)
			for j := range got {
				got[j].shard = i
			}
			out = append(out, got...)
			if err != nil {
				if !slotMoving(err) { // a migrating slot is no failure: the other shards serve meanwhile (reshard.go)
					cerr = errors.Join(cerr, err)
				}
				for l := range depths[i] {
					depths[i][l] = 0 // not again in this call
				}
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if err := errors.Join(derr, cerr); err != nil {
		return nil, fmt.Errorf("claim for %s: %w", worker, err)
	}
	return nil, nil
}

// pendingDepths reads every shard's high, normal and low depths in one
// pipelined round (on a Cluster, one round trip to each master at once). A
// shard whose depths could not be read has -1s, and its error is returned.
func (q *Queue) pendingDepths(ctx context.Context) ([][3]int64, error) {
	cmds, _ := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, s := range q.shards {
			p.LLen(ctx, s.keys.PendingHigh)
			p.LLen(ctx, s.keys.Pending)
			p.LLen(ctx, s.keys.PendingLow)
		}
		return nil
	})
	out := make([][3]int64, len(q.shards))
	var errs []error
	for i, s := range q.shards {
		for l := range 3 {
			c := cmds[3*i+l].(*redis.IntCmd)
			if err := c.Err(); err != nil {
				out[i] = [3]int64{-1, -1, -1}
				errs = append(errs, fmt.Errorf("pending depths of %s: %w", s.Name(), err))
				break
			}
			out[i][l] = c.Val()
		}
	}
	return out, errors.Join(errs...)
}

// finishClaimSharded records each outcome on the shard that claimed its task
// (all shards at once) while it reads the shards' depths (acknowledgements do
// not change them), then claims as Claim does: two round trips, not three.
func (q *Queue) finishClaimSharded(ctx context.Context, outs []Outcome, worker string, n int) ([]error, []Claimed, error) {
	errs := make([]error, len(outs))
	by := make([][]int, len(q.shards))
	for i, o := range outs {
		s := o.Task.shard
		if s < 0 || s >= len(q.shards) {
			errs[i] = fmt.Errorf("finish %s: shard %d of %d", o.Task.ID, s, len(q.shards))
			continue
		}
		by[s] = append(by[s], i)
	}
	var depths [][3]int64
	var derr error
	var peek sync.WaitGroup
	if n > 0 {
		peek.Add(1)
		go func() {
			defer peek.Done()
			depths, derr = q.pendingDepths(ctx)
		}()
	}
	q.eachGroup(ctx, by, func(ctx context.Context, s int, sq *Queue) {
		// A migrating shard's acks come back refused at once rather than wait
		// out the migration (reshard.go): the worker sends them again later
		// and meanwhile records the other shards' (workers' ack carry).
		for j, err := range sq.Finish(withoutReshardWait(ctx), pick(outs, by[s])) {
			errs[by[s][j]] = err
		}
	})
	if n <= 0 {
		return errs, nil, nil
	}
	peek.Wait()
	claimed, err := q.claimFrom(ctx, worker, n, depths, derr)
	return errs, claimed, err
}

// shardOf is the shard that holds a claimed task.
func (q *Queue) shardOf(t Claimed) (*Queue, error) {
	if t.shard < 0 || t.shard >= len(q.shards) {
		return nil, fmt.Errorf("task %s: shard %d of %d", t.ID, t.shard, len(q.shards))
	}
	return q.shards[t.shard], nil
}

// blobSharded looks where the task's id puts it first, then on the other
// shards (a task enqueued with a ShardKey).
func (q *Queue) blobSharded(ctx context.Context, id string) ([]byte, error) {
	first := q.shardFor(id)
	b, err := q.shards[first].Blob(ctx, id)
	if !errors.Is(err, ErrNotFound) {
		return b, err
	}
	for i, s := range q.shards {
		if i == first {
			continue
		}
		if b, err := s.Blob(ctx, id); !errors.Is(err, ErrNotFound) {
			return b, err
		}
	}
	return nil, err
}
