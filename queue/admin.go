package queue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flush deletes every key of this queue, and nothing else, and returns how many
// it removed. It SCANs by the queue's prefix in batches (never KEYS, never
// FLUSHDB), so other data in the same Redis survives and the server never stalls.
func (q *Queue) Flush(ctx context.Context) (int64, error) {
	var removed int64
	err := q.forEachNode(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, q.keys.Pattern(), 1000).Iterator()
		batch := make([]string, 0, 500)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			// One UNLINK per key: on Redis Cluster a multi-key UNLINK needs one slot.
			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, key := range batch {
					p.Unlink(ctx, key)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, cmd := range cmds {
				removed += cmd.(*redis.IntCmd).Val()
			}
			batch = batch[:0]
			return nil
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return removed, fmt.Errorf("flush %s: %w", q.opts.Name, err)
	}
	if err := q.addEvent(ctx, "kind", EventFlushed, "count", removed); err != nil {
		return removed, fmt.Errorf("flush %s: event: %w", q.opts.Name, err)
	}
	return removed, nil
}

// forEachNode runs fn on every master of a cluster, or once on a plain client.
// go-redis runs ForEachMaster's callbacks concurrently, so fn is serialised here
// (its callers add to shared counters and slices).
func (q *Queue) forEachNode(ctx context.Context, fn func(context.Context, redis.UniversalClient) error) error {
	if cc, ok := q.rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return fn(ctx, c)
		})
	}
	return fn(ctx, q.rdb)
}

// Requeue moves dead-lettered tasks back to pending with fresh attempts and
// returns how many moved. Ids not in the failed list are skipped.
func (q *Queue) Requeue(ctx context.Context, ids ...string) (int, error) {
	k := q.keys
	n := 0
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		// Resending after NOSCRIPT is safe: requeue.lua moves only failed tasks.
		cmds, err := q.scriptPipeline(ctx, func(p redis.Pipeliner, _ bool) {
			for _, id := range chunk {
				p.EvalSha(ctx, requeueScript.Hash(),
					[]string{k.Task(id), k.Failed, k.PendingHigh, k.Pending, k.PendingLow, k.Signal, k.Events, k.Stats},
					id, q.opts.EventsMaxLen, q.opts.SignalCap)
			}
		})
		if err != nil {
			return n, fmt.Errorf("requeue: %w", err)
		}
		for _, c := range cmds {
			if v, _ := c.(*redis.Cmd).Int(); v == 1 {
				n++
			}
		}
	}
	return n, nil
}

// RequeueAll moves every dead letter back to pending.
func (q *Queue) RequeueAll(ctx context.Context) (int, error) {
	ids, err := q.rdb.LRange(ctx, q.keys.Failed, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("requeue all: %w", err)
	}
	// Oldest failure first, so they run again in the order they first came.
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return q.Requeue(ctx, ids...)
}

// Task returns the record of a task by id, or by a unique prefix of its id.
func (q *Queue) Task(ctx context.Context, idOrPrefix string) (TaskInfo, error) {
	idOrPrefix = strings.TrimSpace(idOrPrefix)
	if err := ValidateID("task", idOrPrefix); err != nil {
		return TaskInfo{}, err
	}
	h, err := q.rdb.HGetAll(ctx, q.keys.Task(idOrPrefix)).Result()
	if err != nil {
		return TaskInfo{}, fmt.Errorf("task %s: %w", idOrPrefix, err)
	}
	if len(h) > 0 {
		return taskInfo(idOrPrefix, h), nil
	}
	id, err := q.findPrefix(ctx, idOrPrefix)
	if err != nil {
		return TaskInfo{}, err
	}
	h, err = q.rdb.HGetAll(ctx, q.keys.Task(id)).Result()
	if err != nil {
		return TaskInfo{}, fmt.Errorf("task %s: %w", id, err)
	}
	if len(h) == 0 {
		return TaskInfo{}, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	return taskInfo(id, h), nil
}

func (q *Queue) findPrefix(ctx context.Context, prefix string) (string, error) {
	base := q.keys.Task("")
	pattern := strings.TrimSuffix(q.keys.Pattern(), "*") + "task:" + prefix + "*"
	var found []string
	err := q.forEachNode(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) && len(found) < 2 {
			found = append(found, strings.TrimPrefix(iter.Val(), base))
		}
		return iter.Err()
	})
	if err != nil {
		return "", fmt.Errorf("find task %s: %w", prefix, err)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("task %s: %w", prefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("task %s: %w (%s, %s, ...)", prefix, ErrAmbiguous, found[0], found[1])
}

func taskInfo(id string, h map[string]string) TaskInfo {
	return TaskInfo{
		ID:          id,
		Name:        h["name"],
		Priority:    Priority(h["priority"]),
		Status:      Status(h["status"]),
		Payload:     []byte(h["payload"]),
		Attempts:    int(atoi(h["attempts"])),
		MaxAttempts: int(atoi(h["max_attempts"])),
		Worker:      h["worker"],
		Error:       h["error"],
		Result:      []byte(h["result"]),
		CreatedAt:   fromMS(atoi(h["created_at"])),
		StartedAt:   fromMS(atoi(h["started_at"])),
		FinishedAt:  fromMS(atoi(h["finished_at"])),
		BlobBytes:   atoi(h["blob_bytes"]),
		Fields:      h,
	}
}

// FailedTasks returns dead letters, newest first, from offset.
func (q *Queue) FailedTasks(ctx context.Context, offset, limit int64) ([]TaskInfo, error) {
	return q.listTasks(ctx, q.keys.Failed, offset, limit)
}

func (q *Queue) listTasks(ctx context.Context, list string, offset, limit int64) ([]TaskInfo, error) {
	ids, err := q.rdb.LRange(ctx, list, offset, offset+limit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", list, err)
	}
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.HGetAll(ctx, q.keys.Task(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", list, err)
	}
	out := make([]TaskInfo, 0, len(ids))
	for i, c := range cmds {
		h := c.(*redis.MapStringStringCmd).Val()
		if len(h) == 0 {
			h = map[string]string{"status": "expired"}
		}
		out = append(out, taskInfo(ids[i], h))
	}
	return out, nil
}

// Now returns Redis' clock (TIME), the one every lease is measured by.
func (q *Queue) Now(ctx context.Context) (time.Time, error) {
	t, err := q.rdb.Time(ctx).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("redis time: %w", err)
	}
	return t, nil
}
