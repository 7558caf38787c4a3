package queue

// Events of a sharded queue come from N streams, one per shard (each in its
// own slot, so no one XREAD can read them all on a Cluster). They are merged
// by time, and the stream id an Event carries is a cursor over all of them:
// "<id of shard 0>,<id of shard 1>,...", as it stands just after that event.
// So the contract of ReadEvents holds unchanged: pass the last event's ID as
// after, and every stream resumes exactly where it was.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// eventPoll is how often a blocking read of a sharded queue's events looks
// again when none came (each look is one pipelined XREAD per shard).
const eventPoll = 100 * time.Millisecond

// cursor is a position in every shard's stream.
type cursor []string

func (c cursor) String() string { return strings.Join(c, ",") }

// parseCursor reads a ReadEvents after: a cursor of this queue's shards, "0"
// (everything), or one stream id (used for every shard).
func (q *Queue) parseCursor(ctx context.Context, after string) (cursor, error) {
	n := len(q.shards)
	switch {
	case after == "" || after == "$":
		return q.lastCursor(ctx)
	case strings.Contains(after, ","):
		c := cursor(strings.Split(after, ","))
		if len(c) != n {
			return nil, fmt.Errorf("event cursor %q has %d positions, the queue %d shards", after, len(c), n)
		}
		return c, nil
	}
	c := make(cursor, n)
	for i := range c {
		c[i] = after
	}
	return c, nil
}

// lastCursor is every shard's newest event id.
func (q *Queue) lastCursor(ctx context.Context) (cursor, error) {
	c := make(cursor, len(q.shards))
	err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
		var err error
		c[i], err = s.LastEventID(ctx)
		return err
	})
	return c, err
}

func (q *Queue) readEventsSharded(ctx context.Context, after string, count int64, block time.Duration) ([]Event, error) {
	cur, err := q.parseCursor(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("read events after %s: %w", after, err)
	}
	deadline := time.Now().Add(block)
	for {
		per := make([][]redis.XMessage, len(q.shards))
		err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
			res, err := q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.keys.Events, cur[i]}, Count: count, Block: -1}).Result()
			if isNil(err) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, st := range res {
				per[i] = append(per[i], st.Messages...)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read events after %s: %w", after, err)
		}
		evs, next := mergeEvents(cur, per)
		if len(evs) > 0 || block <= 0 || !time.Now().Before(deadline) {
			return evs, nil
		}
		// Only entries merged away (see workerEvent) came: look again past them.
		cur = next
		t := time.NewTimer(min(eventPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// mergeEvents merges the shards' new entries by time (ties: shard order),
// advancing cur past each; every event's ID is the cursor just after it. It
// returns the cursor past every entry, too.
func mergeEvents(cur cursor, per [][]redis.XMessage) ([]Event, cursor) {
	cur = append(cursor(nil), cur...)
	var out []Event
	next := make([]int, len(per))
	for {
		best := -1
		for i, ms := range per {
			if next[i] < len(ms) && (best < 0 || entryMS(ms[next[i]].ID) < entryMS(per[best][next[best]].ID)) {
				best = i
			}
		}
		if best < 0 {
			return out, cur
		}
		m := per[best][next[best]]
		next[best]++
		cur[best] = m.ID
		if best > 0 && workerEvent(m) {
			// Every shard registers the same workers: their arrivals and
			// departures are told once, by shard 0.
			continue
		}
		from := len(out)
		out = appendEvents(out, m)
		id := cur.String()
		for j := from; j < len(out); j++ {
			out[j].ID = id
		}
	}
}

// entryMS is the time part of a stream id.
func entryMS(id string) int64 {
	ms, _, _ := strings.Cut(id, "-")
	v, _ := strconv.ParseInt(ms, 10, 64)
	return v
}

// before is the stream id just before id, so that reading after it starts at id.
func before(id string) string {
	msPart, seqPart, _ := strings.Cut(id, "-")
	ms, _ := strconv.ParseUint(msPart, 10, 64)
	seq, _ := strconv.ParseUint(seqPart, 10, 64)
	switch {
	case seq > 0:
		return fmt.Sprintf("%d-%d", ms, seq-1)
	case ms > 0:
		return fmt.Sprintf("%d-%d", ms-1, uint64(1<<64-1))
	}
	return "0"
}

// lastEventsSharded is the newest n events over all shards, oldest first,
// with cursors that resume after each.
func (q *Queue) lastEventsSharded(ctx context.Context, n int64) ([]Event, error) {
	per := make([][]redis.XMessage, len(q.shards))
	err := q.eachShard(ctx, func(ctx context.Context, i int, s *Queue) error {
		res, err := q.rdb.XRevRangeN(ctx, s.keys.Events, "+", "-", n).Result()
		if err != nil {
			return err
		}
		for j := len(res) - 1; j >= 0; j-- {
			per[i] = append(per[i], res[j])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("last events: %w", err)
	}
	// Each stream starts just before the first entry read from it (an empty
	// stream, from its start).
	cur := make(cursor, len(per))
	for i, ms := range per {
		cur[i] = "0"
		if len(ms) > 0 {
			cur[i] = before(ms[0].ID)
		}
	}
	out, _ := mergeEvents(cur, per)
	if int64(len(out)) > n {
		out = out[int64(len(out))-n:]
	}
	return out, nil
}

// workerEvent reports a worker's arrival or departure (worker_up, worker_gone,
// worker_stopped), which every shard of a sharded queue records.
func workerEvent(m redis.XMessage) bool {
	switch m.Values["kind"] {
	case EventWorkerUp, EventWorkerGone, EventWorkerStop:
		return true
	}
	return false
}
