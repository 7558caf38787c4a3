package queue

import (
	"context"
	"encoding/json"
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
	if q.sharded() {
		return q.readEventsSharded(ctx, after, count, block)
	}
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
			out = appendEvents(out, m)
		}
	}
	return out, nil
}

// LastEvents returns the newest n events, oldest first (the history a new viewer
// starts from). It reads at most n stream entries, so a batch entry may bring
// more events than n; only the newest n are kept.
func (q *Queue) LastEvents(ctx context.Context, n int64) ([]Event, error) {
	if n > 0 && q.sharded() {
		return q.lastEventsSharded(ctx, n)
	}
	if n <= 0 {
		// XREVRANGE ... COUNT 0 replies nil, which go-redis reports as an error.
		return nil, nil
	}
	res, err := q.rdb.XRevRangeN(ctx, q.keys.Events, "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("last events: %w", err)
	}
	var out []Event
	for i := len(res) - 1; i >= 0; i-- {
		out = appendEvents(out, res[i])
	}
	if int64(len(out)) > n {
		out = out[int64(len(out))-n:]
	}
	return out, nil
}

// LastEventID returns the id of the newest event ("0" when there is none), to
// follow the stream from there without missing what comes next.
func (q *Queue) LastEventID(ctx context.Context) (string, error) {
	if q.sharded() {
		c, err := q.lastCursor(ctx)
		if err != nil {
			return "", err
		}
		return c.String(), nil
	}
	res, err := q.rdb.XRevRangeN(ctx, q.keys.Events, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("last event id: %w", err)
	}
	if len(res) == 0 {
		return "0", nil
	}
	return res[0].ID, nil
}

// batchTask is one task of a batch entry's "tasks" JSON (claim.lua, complete.lua).
type batchTask struct {
	Task    string `json:"task"`
	Name    string `json:"name"`
	Prev    string `json:"prev"`
	Attempt int    `json:"attempt"`
	DurMS   int64  `json:"dur_ms"`
}

// appendEvents appends the events of one stream entry: one, or one per task of a
// batch entry. A batch whose JSON does not parse (written by hand, or by a
// future version) is kept as one event that says so rather than dropped.
func appendEvents(out []Event, m redis.XMessage) []Event {
	e := parseEvent(m)
	raw, ok := m.Values["tasks"].(string)
	if !ok {
		return append(out, e)
	}
	var tasks []batchTask
	if err := json.Unmarshal([]byte(raw), &tasks); err != nil || len(tasks) == 0 {
		e.Error = fmt.Sprintf("unreadable batch of %q events", e.Kind)
		return append(out, e)
	}
	for _, t := range tasks {
		te := e
		te.Task, te.Name, te.Prev, te.Attempt = clip(t.Task, MaxNameBytes), clip(t.Name, MaxNameBytes), clip(t.Prev, MaxNameBytes), t.Attempt
		te.Duration = time.Duration(t.DurMS) * time.Millisecond
		out = append(out, te)
	}
	return out
}

func parseEvent(m redis.XMessage) Event {
	e := Event{ID: m.ID}
	if ms, _, ok := strings.Cut(m.ID, "-"); ok {
		if v, err := strconv.ParseInt(ms, 10, 64); err == nil {
			e.Time = time.UnixMilli(v)
		}
	}
	get := func(k string) string { s, _ := m.Values[k].(string); return s }
	// Cut what a script or a hand-written entry did not bound (see bound.go).
	e.Kind = clip(get("kind"), MaxNameBytes)
	e.Task = clip(get("task"), MaxNameBytes)
	e.Name = clip(get("name"), MaxNameBytes)
	e.Worker = clip(get("worker"), MaxNameBytes)
	e.Prev = clip(get("prev"), MaxNameBytes)
	e.Error = clip(get("error"), MaxErrorBytes)
	if v := get("dur_ms"); v != "" {
		e.Duration = time.Duration(atoi(v)) * time.Millisecond
	}
	e.Attempt = int(atoi(get("attempt")))
	e.Observed = get("observed") == "1"
	e.Count = int(atoi(get("count")))
	return e
}

// addEvent appends an event written from Go rather than from a script (flush).
func (q *Queue) addEvent(ctx context.Context, fields ...any) error {
	return q.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: q.keys.Events, MaxLen: q.opts.EventsMaxLen, Approx: true, Values: fields,
	}).Err()
}
