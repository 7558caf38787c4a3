package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReadEvents blocks up to block for events after stream id after ("$" for only
// new ones, "0" for all) and returns at most count of them, oldest first.
// A zero block returns at once.
func (q *Queue) ReadEvents(ctx context.Context, after string, count int64, block time.Duration) ([]Event, error) {
	if after == "" {
		after = "$"
	}
	args := &redis.XReadArgs{Streams: []string{q.keys.Events, after}, Count: count, Block: block}
	if block <= 0 {
		args.Block = -1 // no BLOCK argument
	}
	res, err := q.rdb.XRead(ctx, args).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read events after %s: %w", after, err)
	}
	var out []Event
	for _, s := range res {
		for _, m := range s.Messages {
			out = append(out, parseEvent(m))
		}
	}
	return out, nil
}

// LastEvents returns the newest n events, oldest first (the history a new viewer
// starts from).
func (q *Queue) LastEvents(ctx context.Context, n int64) ([]Event, error) {
	if n <= 0 {
		// XREVRANGE ... COUNT 0 replies nil, which go-redis reports as an error.
		return nil, nil
	}
	res, err := q.rdb.XRevRangeN(ctx, q.keys.Events, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("last events: %w", err)
	}
	out := make([]Event, len(res))
	for i, m := range res {
		out[len(res)-1-i] = parseEvent(m)
	}
	return out, nil
}

// LastEventID returns the id of the newest event ("0" when there is none), to
// follow the stream from there without missing what comes next.
func (q *Queue) LastEventID(ctx context.Context) (string, error) {
	res, err := q.rdb.XRevRangeN(ctx, q.keys.Events, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("last event id: %w", err)
	}
	if len(res) == 0 {
		return "0", nil
	}
	return res[0].ID, nil
}

func parseEvent(m redis.XMessage) Event {
	e := Event{ID: m.ID}
	if ms, _, ok := strings.Cut(m.ID, "-"); ok {
		if v, err := strconv.ParseInt(ms, 10, 64); err == nil {
			e.Time = time.UnixMilli(v)
		}
	}
	get := func(k string) string { s, _ := m.Values[k].(string); return s }
	e.Kind = get("kind")
	e.Task = get("task")
	e.Name = get("name")
	e.Worker = get("worker")
	e.Prev = get("prev")
	e.Error = get("error")
	if v := get("dur_ms"); v != "" {
		e.Duration = time.Duration(atoi(v)) * time.Millisecond
	}
	e.Attempt = int(atoi(get("attempt")))
	e.Count = int(atoi(get("count")))
	return e
}

// addEvent appends an event written from Go rather than from a script (flush).
func (q *Queue) addEvent(ctx context.Context, fields ...any) error {
	return q.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: q.keys.Events, MaxLen: q.opts.EventsMaxLen, Approx: true, Values: fields,
	}).Err()
}
