package queue

// The sharded queue's merged views and its calls on every shard: stats,
// workers, task lookups, dead letters, heartbeats and housekeeping (see
// sharded.go for how the shards are laid out and routed).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// statsSharded reads every shard's stats at once and adds them up: depths and
// totals summed, each worker once (its counters summed over the shards it
// worked on), the shared switches from shard 0, the oldest pending task of all.
func (q *Queue) statsSharded(ctx context.Context) (Stats, error) {
	parts := make([]Stats, len(q.shards))
	err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
		var err error
		parts[i], err = s.Stats(ctx)
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	out := Stats{At: parts[0].At, FailRate: parts[0].FailRate, Paused: parts[0].Paused, Pace: parts[0].Pace}
	index := map[string]int{}
	for i, p := range parts {
		out.PendingHigh += p.PendingHigh
		out.Pending += p.Pending
		out.PendingLow += p.PendingLow
		out.Processing += p.Processing
		out.Retry += p.Retry
		out.Completed += p.Completed
		out.Failed += p.Failed
		t := &out.Totals
		t.Enqueued += p.Totals.Enqueued
		t.Claimed += p.Totals.Claimed
		t.Completed += p.Totals.Completed
		t.Retried += p.Totals.Retried
		t.Failed += p.Totals.Failed
		t.Recovered += p.Totals.Recovered
		t.Requeued += p.Totals.Requeued
		out.OldestPending = max(out.OldestPending, p.OldestPending)
		out.Foreign = append(out.Foreign, p.Foreign...)
		for _, w := range p.Workers {
			j, ok := index[w.ID]
			if !ok {
				index[w.ID] = len(out.Workers)
				out.Workers = append(out.Workers, w)
				continue
			}
			out.Workers[j] = mergeWorker(out.Workers[j], w)
		}
		s := q.shards[i]
		out.Shards = append(out.Shards, ShardStat{Name: s.Name(), Slot: KeySlot(s.keys.Pending),
			Pending: p.PendingTotal(), Processing: p.Processing, Retry: p.Retry, Failed: p.Failed, Completed: p.Completed})
	}
	sort.Slice(out.Foreign, func(i, j int) bool { return out.Foreign[i].Since.Before(out.Foreign[j].Since) })
	return out, nil
}

// stateRank orders a worker's states over shards: the liveliest wins (a worker
// busy on one shard and idle on another is busy).
var stateRank = map[WorkerState]int{WorkerGone: 0, WorkerStop: 1, WorkerIdle: 2, WorkerPaused: 3, WorkerBusy: 4}

// mergeWorker adds one shard's view of a worker to another's.
func mergeWorker(a, b WorkerStat) WorkerStat {
	if stateRank[b.State] > stateRank[a.State] {
		a.State = b.State
	}
	if b.LastSeen.After(a.LastSeen) {
		a.LastSeen = b.LastSeen
	}
	if a.StartedAt.IsZero() || !b.StartedAt.IsZero() && b.StartedAt.Before(a.StartedAt) {
		a.StartedAt = b.StartedAt
	}
	a.Processed += b.Processed
	a.Failed += b.Failed
	a.Retried += b.Retried
	a.Dead += b.Dead
	a.Lost += b.Lost
	a.Busy += b.Busy
	a.Active += b.Active
	if b.Current != "" && (a.Current == "" || b.CurrentFor > a.CurrentFor) {
		a.Current, a.CurrentName, a.CurrentFor = b.Current, b.CurrentName, b.CurrentFor
	}
	return a
}

// taskSharded finds a task by id or unique prefix on any shard.
func (q *Queue) taskSharded(ctx context.Context, idOrPrefix string) (TaskInfo, error) {
	var found []TaskInfo
	order := slices.Collect(func(yield func(int) bool) {
		first := q.shardFor(idOrPrefix)
		yield(first)
		for i := range q.shards {
			if i != first && !yield(i) {
				return
			}
		}
	})
	for _, i := range order {
		t, err := q.shards[i].Task(ctx, idOrPrefix)
		switch {
		case err == nil && t.ID == idOrPrefix:
			return t, nil // a whole id: no other match matters
		case err == nil:
			found = append(found, t)
		case !errors.Is(err, ErrNotFound):
			return TaskInfo{}, err
		}
	}
	switch len(found) {
	case 0:
		return TaskInfo{}, fmt.Errorf("task %s: %w", idOrPrefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return TaskInfo{}, fmt.Errorf("task prefix %q matches %s, %s, ...: %w", idOrPrefix, found[0].ID, found[1].ID, ErrAmbiguous)
}

// failedSharded merges the shards' dead letters, newest first.
func (q *Queue) failedSharded(ctx context.Context, offset, limit int64) ([]TaskInfo, error) {
	parts := make([][]TaskInfo, len(q.shards))
	err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
		var err error
		parts[i], err = s.FailedTasks(ctx, 0, offset+limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	all := slices.Concat(parts...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].FinishedAt.After(all[j].FinishedAt) })
	if offset >= int64(len(all)) {
		return nil, nil
	}
	return all[offset:min(offset+limit, int64(len(all)))], nil
}

// sumShards runs fn on every shard, one after another, and adds up its counts;
// it stops at the first error, with the count so far.
func sumShards[N int | int64](q *Queue, fn func(s *Queue) (N, error)) (N, error) {
	var total N
	for _, s := range q.shards {
		n, err := fn(s)
		total += n
		if err != nil {
			return total, fmt.Errorf("shard %s: %w", s.Name(), err)
		}
	}
	return total, nil
}

// putBack is sumShards for calls that put tasks back in pending (recovery,
// retries due, requeues): it wakes idle workers for those of shards other
// than shard 0, whose scripts push no tokens (see above).
func putBack[N int | int64](ctx context.Context, q *Queue, fn func(s *Queue) (N, error)) (N, error) {
	i := -1 // sumShards goes through the shards in order
	return sumShards(q, func(s *Queue) (N, error) {
		i++
		n, err := fn(s)
		if i > 0 && n > 0 {
			_ = q.wake(ctx, int64(n)) // best effort: an idle worker polls anyway
		}
		return n, err
	})
}

// onShards runs fn on every shard in order, stopping at the first error.
func (q *Queue) onShards(fn func(s *Queue) error) error {
	_, err := sumShards(q, func(s *Queue) (int, error) { return 0, fn(s) })
	return err
}

// heartbeatSharded beats on every shard at once, with every held task (a
// shard extends only the leases of the tasks it holds under this worker), and
// returns shard 0's switches. A shard that declared the worker gone makes the
// whole beat say so: the worker registers again, on every shard.
func (q *Queue) heartbeatSharded(ctx context.Context, w WorkerInfo, state WorkerState, held []string) (Shared, error) {
	shared := make([]Shared, len(q.shards))
	err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
		var err error
		shared[i], err = s.Heartbeat(withoutReshardWait(ctx), w, state, held) // a migrating shard does not hold up the others' leases (reshard.go)
		return err
	})
	return shared[0], err
}

// housekeepSharded offers each shard's housekeeping in turn (each has its own
// lock, so processes may share the work shard by shard).
func (q *Queue) housekeepSharded(ctx context.Context, period time.Duration) (Maintenance, bool, error) {
	var m Maintenance
	var any bool
	_, err := putBack(ctx, q, func(s *Queue) (int, error) {
		sm, ran, err := s.Housekeep(ctx, period)
		m, any = m.add(sm), any || ran
		return sm.backInPending(), err
	})
	return m, any, err
}

// backInPending counts the tasks a pass put back in pending (at most: a
// recovered task on its last attempt is dead-lettered instead).
func (m Maintenance) backInPending() int { return m.Recovered + m.Forwarded + m.Stuck }

// add is m and o together.
func (m Maintenance) add(o Maintenance) Maintenance {
	for _, g := range o.Gone {
		if !slices.Contains(m.Gone, g) {
			m.Gone = append(m.Gone, g)
		}
	}
	m.Recovered += o.Recovered
	m.Forwarded += o.Forwarded
	m.Stuck += o.Stuck
	return m
}
