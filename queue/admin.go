package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flush deletes this queue and nothing else, and returns how many keys it
// removed: the records of its tasks (task:<id>, result:<id> and blobs), found
// through its lists, its processing hash, its retry and lease sets and its own
// index of the ids it enqueued (never KEYS task:*, which would take other
// queues' records), then every key under its prefix, by SCAN in batches (never
// KEYS, never FLUSHDB). A key of an unexpected type is deleted, not read as
// one, so flush is also the fix for a layout clash.
func (q *Queue) Flush(ctx context.Context) (int64, error) {
	if q.sharded() {
		n, err := sumShards(q, func(s *Queue) (int64, error) { return s.Flush(ctx) })
		if err != nil {
			return n, err
		}
		// Last: the record of N, so a flushed name can be sharded anew.
		m, err := q.rdb.Del(ctx, q.keys.Sharding).Result()
		if err != nil {
			return n, fmt.Errorf("flush %s: %w", q.opts.Name, err)
		}
		return n + m, nil
	}
	ids, err := q.allIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("flush %s: %w", q.opts.Name, err)
	}
	k := q.keys
	records := make([]string, 0, 3*len(ids))
	for id := range ids {
		records = append(records, k.Task(id), k.Result(id), k.Blob(id))
	}
	removed, err := q.unlink(ctx, q.rdb, records)
	if err != nil {
		return removed, fmt.Errorf("flush %s: %w", q.opts.Name, err)
	}
	err = q.forEachNode(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, k.Pattern(), 1000).Iterator()
		batch := make([]string, 0, 500)
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == cap(batch) {
				n, err := q.unlink(ctx, c, batch)
				removed += n
				if err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		n, err := q.unlink(ctx, c, batch)
		removed += n
		return err
	})
	if err != nil {
		return removed, fmt.Errorf("flush %s: %w", q.opts.Name, err)
	}
	if err := q.addEvent(ctx, "kind", EventFlushed, "count", removed); err != nil {
		return removed, fmt.Errorf("flush %s: event: %w", q.opts.Name, err)
	}
	return removed, nil
}

// unlink deletes keys in pipelined batches, one UNLINK per key (on Redis Cluster a
// multi-key UNLINK needs one slot), and counts what existed.
func (q *Queue) unlink(ctx context.Context, c redis.UniversalClient, keys []string) (int64, error) {
	var removed int64
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, key := range chunk {
				p.Unlink(ctx, key)
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
		for _, cmd := range cmds {
			removed += cmd.(*redis.IntCmd).Val()
		}
	}
	return removed, nil
}

// allIDs gathers every task id the queue knows of: its lists, processing, retry
// and lease sets, observed claims and index. Each key is read according to the
// type it really has, so a layout clash does not stop a flush.
func (q *Queue) allIDs(ctx context.Context) (map[string]struct{}, error) {
	k := q.keys
	sources := []string{k.PendingHigh, k.Pending, k.PendingLow, k.Processing, k.Completed, k.Failed,
		k.Retry, k.Leases, k.Tasks, k.Observed}
	types, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range sources {
			p.Type(ctx, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range sources {
			switch types[i].(*redis.StatusCmd).Val() {
			case "list":
				p.LRange(ctx, key, 0, -1)
			case "hash":
				p.HKeys(ctx, key)
			case "zset":
				p.ZRange(ctx, key, 0, -1)
			case "set":
				p.SMembers(ctx, key)
			}
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("read ids: %w", err)
	}
	ids := map[string]struct{}{}
	for _, c := range cmds {
		for _, id := range c.(*redis.StringSliceCmd).Val() {
			if ValidateID("task", id) == nil {
				ids[id] = struct{}{}
			}
		}
	}
	return ids, nil
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
	if q.sharded() {
		// requeue.lua moves only a task in its shard's failed list: each id
		// moves on the one shard that holds it.
		return putBack(ctx, q, func(s *Queue) (int, error) { return s.Requeue(ctx, ids...) })
	}
	k := q.keys
	n := 0
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		// Resending after NOSCRIPT is safe: requeue.lua moves only failed tasks.
		cmds, err := q.scriptPipeline(ctx, func(p redis.Pipeliner, _ bool) {
			for _, id := range chunk {
				p.EvalSha(ctx, q.script(ctx, requeueScript).Hash(),
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
	if q.sharded() {
		return putBack(ctx, q, func(s *Queue) (int, error) { return s.RequeueAll(ctx) })
	}
	ids, err := q.rdb.LRange(ctx, q.keys.Failed, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("requeue all: %w", q.explain(ctx, err))
	}
	// Oldest failure first, so they run again in the order they first came.
	slices.Reverse(ids)
	// An id pushed twice (by hand, or by two workers) moves once.
	seen := make(map[string]bool, len(ids))
	ids = slices.DeleteFunc(ids, func(id string) bool {
		dup := seen[id]
		seen[id] = true
		return dup
	})
	return q.Requeue(ctx, ids...)
}

// RequeueStuck does the course's fix for stuck tasks (HDEL processing, RPUSH
// pending) for every claim without an imgq lease that is older than olderThan
// (0: Options.StuckAfter): claims of workers imgq cannot see, such as a course
// worker that crashed. imgq's own claims are never touched: their leases tell
// whether their workers live. With only set, just those ids are considered.
func (q *Queue) RequeueStuck(ctx context.Context, olderThan time.Duration, only ...string) (int, error) {
	if q.sharded() {
		return putBack(ctx, q, func(s *Queue) (int, error) { return s.RequeueStuck(ctx, olderThan, only...) })
	}
	if olderThan <= 0 {
		olderThan = q.opts.StuckAfter
	}
	if len(only) == 0 {
		only = []string{""}
	}
	n := 0
	for _, id := range only {
		v, err := q.script(ctx, requeueStuckScript).Run(ctx, q.rdb, q.stuckKeys(), q.stuckArgs(olderThan, id)...).Int()
		if err != nil {
			return n, fmt.Errorf("requeue stuck tasks: %w", q.explain(ctx, err))
		}
		n += v
	}
	return n, nil
}

func (q *Queue) stuckKeys() []string {
	k := q.keys
	return []string{k.Processing, k.Leases, k.PendingHigh, k.Pending, k.PendingLow, k.Signal,
		k.Events, k.Stats, k.Observed, k.Failed}
}

func (q *Queue) stuckArgs(olderThan time.Duration, id string) []any {
	return []any{q.keys.TaskPrefix(), ms(olderThan), q.opts.EventsMaxLen, q.opts.SignalCap, id}
}

// Task returns the record of a task by id, or by a unique prefix of its id:
// its task:<id> hash and, once it completed, its result:<id>.
func (q *Queue) Task(ctx context.Context, idOrPrefix string) (TaskInfo, error) {
	idOrPrefix = strings.TrimSpace(idOrPrefix)
	if err := ValidateID("task", idOrPrefix); err != nil {
		return TaskInfo{}, err
	}
	if q.sharded() {
		return q.taskSharded(ctx, idOrPrefix)
	}
	t, err := q.readTask(ctx, idOrPrefix)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return t, err
	}
	id, err := q.findPrefix(ctx, idOrPrefix)
	if err != nil {
		return TaskInfo{}, err
	}
	return q.readTask(ctx, id)
}

func (q *Queue) readTask(ctx context.Context, id string) (TaskInfo, error) {
	var th, rh *redis.MapStringStringCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		th = p.HGetAll(ctx, q.keys.Task(id))
		rh = p.HGetAll(ctx, q.keys.Result(id))
		return nil
	})
	if err != nil {
		return TaskInfo{}, fmt.Errorf("task %s: %w", id, q.explainRecord(ctx, id, err))
	}
	if len(th.Val()) == 0 {
		return TaskInfo{}, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	t := taskInfo(id, th.Val(), rh.Val())
	t.Keys = q.keys
	return t, nil
}

// explainRecord says which record has the wrong type, for a WRONGTYPE reading one.
func (q *Queue) explainRecord(ctx context.Context, id string, err error) error {
	if err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		return err
	}
	for _, key := range []string{q.keys.Task(id), q.keys.Result(id)} {
		if ty, terr := q.rdb.Type(ctx, key).Result(); terr == nil && ty != "hash" && ty != "none" {
			return fmt.Errorf("%w: %s is a %s, imgq expects a hash (the course's task record); nothing was changed", ErrLayout, key, ty)
		}
	}
	return err
}

// findPrefix finds the one id starting with prefix among the ids the queue
// knows of (its lists, processing, retry set and index), never by KEYS.
func (q *Queue) findPrefix(ctx context.Context, prefix string) (string, error) {
	ids, err := q.allIDs(ctx)
	if err != nil {
		return "", fmt.Errorf("find task %s: %w", prefix, err)
	}
	var found []string
	for id := range ids {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	slices.Sort(found)
	switch len(found) {
	case 0:
		return "", fmt.Errorf("task %s: %w", prefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("task %s: %w (%s, %s, ...)", prefix, ErrAmbiguous, found[0], found[1])
}

func taskInfo(id string, h, r map[string]string) TaskInfo {
	t := TaskInfo{
		ID:           clip(id, MaxNameBytes),
		Name:         clip(h["name"], MaxNameBytes),
		Priority:     Priority(h["priority"]),
		Status:       Status(h["status"]),
		Payload:      []byte(h["data"]),
		Attempts:     int(atoi(h["attempts"])),
		MaxAttempts:  int(atoi(h["max_attempts"])),
		Worker:       clip(h["worker_id"], MaxNameBytes),
		Error:        clip(h["error"], MaxErrorBytes),
		Result:       []byte(r["result"]),
		Output:       r["output_path"],
		CreatedAt:    parseStamp(h["created_at"]),
		StartedAt:    parseStamp(h["started_at"]),
		FinishedAt:   parseStamp(h["completed_at"]),
		BlobBytes:    atoi(h["blob_bytes"]),
		Fields:       h,
		ResultFields: r,
	}
	if t.Name == "" {
		t.Name = clip(dataName(h["data"]), MaxNameBytes)
	}
	return t
}

// dataName is the "name" inside the course's data JSON, for a record that has
// no name field of its own (one the course's producer wrote).
func dataName(data string) string {
	var d struct {
		Name string `json:"name"`
	}
	if json.Unmarshal([]byte(data), &d) != nil {
		return ""
	}
	return d.Name
}

// FailedTasks returns dead letters, newest first, from offset.
func (q *Queue) FailedTasks(ctx context.Context, offset, limit int64) ([]TaskInfo, error) {
	if q.sharded() {
		return q.failedSharded(ctx, offset, limit)
	}
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
			p.HGetAll(ctx, q.keys.Result(id))
		}
		return nil
	})
	if err != nil && !strings.Contains(err.Error(), "WRONGTYPE") {
		return nil, fmt.Errorf("list %s: %w", list, err)
	}
	out := make([]TaskInfo, 0, len(ids))
	for i, id := range ids {
		tc, rc := cmds[2*i].(*redis.MapStringStringCmd), cmds[2*i+1].(*redis.MapStringStringCmd)
		h := tc.Val()
		switch {
		case tc.Err() != nil:
			h = map[string]string{"status": "unreadable", "error": q.explainRecord(ctx, id, tc.Err()).Error()}
		case len(h) == 0:
			h = map[string]string{"status": "expired"}
		}
		t := taskInfo(id, h, rc.Val())
		t.Keys = q.keys
		out = append(out, t)
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
