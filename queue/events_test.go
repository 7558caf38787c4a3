package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
)

// A batch claim and a batch ack each write one stream entry, and readers get one
// event per task back, in order, all with that entry's id.
func TestBatchEntriesReadAsOneEventPerTask(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ids := enqueueN(t, q, 3, queue.Normal)
	before := rdb.XLen(ctx, q.Keys().Events).Val()
	got, err := q.Claim(ctx, "w", 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim 3: %d, %v", len(got), err)
	}
	outs := make([]queue.Outcome, len(got))
	for i, c := range got {
		outs[i] = queue.Outcome{Worker: "w", Task: c, Elapsed: time.Duration(i+1) * time.Millisecond}
	}
	for _, err := range q.Finish(ctx, outs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.XLen(ctx, q.Keys().Events).Val() - before; n != 2 {
		t.Fatalf("claim and ack of 3 tasks wrote %d stream entries, want 2", n)
	}
	raw := rdb.XRevRangeN(ctx, q.Keys().Events, "+", "-", 1).Val()[0]
	if raw.Values["batch"] != "3" || raw.Values["kind"] != "completed" {
		t.Fatalf("newest entry %v", raw.Values)
	}

	for _, kind := range []string{queue.EventClaimed, queue.EventCompleted} {
		evs := eventsOfKind(t, q, kind)
		var tasks []string
		for i, e := range evs {
			tasks = append(tasks, e.Task)
			if e.ID != evs[0].ID || e.Worker != "w" || e.Attempt != 1 || e.Name != got[i].Name {
				t.Fatalf("%s event %d: %+v", kind, i, e)
			}
			if kind == queue.EventCompleted && e.Duration != time.Duration(i+1)*time.Millisecond {
				t.Fatalf("completed event %d took %s", i, e.Duration)
			}
		}
		if !slices.Equal(tasks, ids) {
			t.Fatalf("%s events for %v, want %v", kind, tasks, ids)
		}
	}

	// LastEvents(n) keeps the newest n events even when an entry holds more.
	last, err := q.LastEvents(ctx, 2)
	if err != nil || len(last) != 2 || last[1].Task != ids[2] || last[0].Task != ids[1] {
		t.Fatalf("last 2 events: %+v, %v", last, err)
	}
}

// A batch entry whose JSON is broken (written by hand) is one event that says so.
func TestUnreadableBatchEntryIsKept(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Keys().Events, Values: []any{"kind", "claimed", "worker", "w", "tasks", "[{oops"}})
	evs, err := q.LastEvents(ctx, 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != queue.EventClaimed || evs[0].Error == "" {
		t.Fatalf("events %+v, %v", evs, err)
	}
}

// A lone claim and a lone ack stay flat entries, readable field by field in
// redis-cli as every other event.
func TestLoneTransitionsAreFlatEntries(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	enqueueN(t, q, 1, queue.Normal)
	c := claimOne(t, q, "w")
	if err := q.Complete(ctx, "w", c, nil, 3*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	raw := rdb.XRevRangeN(ctx, q.Keys().Events, "+", "-", 2).Val()
	for i, kind := range []string{"completed", "claimed"} {
		v := raw[i].Values
		if v["kind"] != kind || v["task"] != c.ID || v["worker"] != "w" || v["attempt"] != "1" || v["tasks"] != nil {
			t.Fatalf("%s entry %v", kind, v)
		}
	}
	if raw[0].Values["dur_ms"] != "3" {
		t.Fatalf("completed entry %v", raw[0].Values)
	}
}
