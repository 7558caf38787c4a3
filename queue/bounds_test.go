package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
)

// rawEvents reads the events stream as Redis holds it (not through ReadEvents,
// which cuts fields too): what every dashboard would be sent.
func rawEvents(t *testing.T, q *queue.Queue, kind string) []map[string]any {
	t.Helper()
	rdb := q.Client()
	msgs, err := rdb.XRange(context.Background(), q.Keys().Events, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, m := range msgs {
		if m.Values["kind"] == kind {
			out = append(out, m.Values)
		}
	}
	return out
}

func TestHugeIDPushedByHandIsDeadLetteredWithBoundedFields(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ctx := context.Background()
	huge := "task-" + strings.Repeat("x", 1<<20)
	if err := rdb.RPush(ctx, q.Keys().Pending, huge).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := q.Claim(ctx, "w1", 4)
	if err != nil || len(got) != 0 {
		t.Fatalf("claim: %d tasks, %v; want none (the id has no record)", len(got), err)
	}
	evs := rawEvents(t, q, queue.EventFailed)
	if len(evs) != 1 {
		t.Fatalf("%d failed events, want 1", len(evs))
	}
	task, _ := evs[0]["task"].(string)
	why, _ := evs[0]["error"].(string)
	if len(task) > queue.MaxNameBytes || !strings.HasPrefix(task, "task-xxx") {
		t.Fatalf("event task field is %d bytes, want <= %d", len(task), queue.MaxNameBytes)
	}
	if len(why) > queue.MaxErrorBytes || !strings.Contains(why, "over the 256-byte limit") {
		t.Fatalf("event error (%d bytes) %.200q", len(why), why)
	}
	failed := rdb.LRange(ctx, q.Keys().Failed, 0, -1).Val()
	if len(failed) != 1 || len(failed[0]) > queue.MaxNameBytes {
		t.Fatalf("failed list: %d entries, first %d bytes", len(failed), len(failed[0]))
	}
	// Nothing is written at the huge id's own key; the record made says why.
	if n := rdb.Exists(ctx, q.Keys().Task(huge)).Val(); n != 0 {
		t.Fatal("a record was made at the 1 MB id's key")
	}
	if e := rdb.HGet(ctx, q.Keys().Task(failed[0]), "error").Val(); !strings.Contains(e, "1048581 bytes") {
		t.Fatalf("dead letter record error %.200q", e)
	}
	if used := rdb.MemoryUsage(ctx, q.Keys().Events).Val(); used > 64<<10 {
		t.Fatalf("events stream holds %d bytes after one dead letter", used)
	}
}

func TestLongNamesRefusedAtEnqueueAndCutWhenWrittenByHand(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ctx := context.Background()
	long := strings.Repeat("n", 100_000)
	_, _, err := q.Enqueue(ctx, queue.NewTask{Name: long, Payload: []byte(`{}`)})
	if err == nil || !strings.Contains(err.Error(), "task name is 100000 bytes, over the limit of 256 bytes") {
		t.Fatalf("100,000-byte name: %v", err)
	}
	if len(err.Error()) > 300 {
		t.Fatalf("the error copies the name: %d bytes", len(err.Error()))
	}
	if _, err := q.EnqueueBatch(ctx, []queue.NewTask{{Name: long}}); err == nil {
		t.Fatal("batch enqueue accepted a 100,000-byte name")
	}
	if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: strings.Repeat("i", 100_000), Payload: []byte(`{}`)}); err == nil || len(err.Error()) > 300 {
		t.Fatalf("100,000-byte id: %.300v", err)
	}
	if _, _, err := q.Enqueue(ctx, queue.NewTask{Name: strings.Repeat("é", 128), Payload: []byte(`{}`)}); err != nil {
		t.Fatalf("a 256-byte name is refused: %v", err)
	}

	// A record written by hand (the course's producer, redis-cli) with a huge
	// name and a huge name in its data: events and readers carry 256 bytes.
	id := "task-hand"
	rdb.HSet(ctx, q.Keys().Task(id), "id", id, "status", "pending", "name", long,
		"data", `{"name":"`+long+`"}`)
	rdb.RPush(ctx, q.Keys().Pending, id)
	c := claimOne(t, q, "w1")
	for _, e := range rawEvents(t, q, queue.EventClaimed) {
		if n, _ := e["name"].(string); len(n) > queue.MaxNameBytes {
			t.Fatalf("claimed event name is %d bytes", len(n))
		}
	}
	if err := q.Fail(ctx, "w1", c, queue.Permanent(errors.New(strings.Repeat("e", 50_000))), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, e := range rawEvents(t, q, queue.EventFailed) {
		if n, _ := e["error"].(string); len(n) > queue.MaxErrorBytes {
			t.Fatalf("failed event error is %d bytes", len(n))
		}
		if n, _ := e["name"].(string); len(n) > queue.MaxNameBytes {
			t.Fatalf("failed event name is %d bytes", len(n))
		}
	}
	ti, err := q.Task(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ti.Name) > queue.MaxNameBytes || len(ti.Error) > queue.MaxErrorBytes {
		t.Fatalf("task info name %d bytes, error %d bytes", len(ti.Name), len(ti.Error))
	}
	// A stream entry written by hand is cut when read back.
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Keys().Events, Values: []any{"kind", "dropped", "task", long, "error", long}})
	evs, err := q.LastEvents(ctx, 1)
	if err != nil || len(evs) != 1 || len(evs[0].Task) > queue.MaxNameBytes || len(evs[0].Error) > queue.MaxErrorBytes {
		t.Fatalf("read back: %v %+v", err, len(evs))
	}
}

func TestStaleResultSaysWhatHappened(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{Lease: 200 * time.Millisecond})
	ctx := context.Background()
	enqueueN(t, q, 2, queue.Normal)
	dead := claimOne(t, q, "w1")
	dead2 := claimOne(t, q, "w1")
	time.Sleep(300 * time.Millisecond)
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if c := claimOne(t, q, "w3"); c.ID != dead.ID { // one of them is handed to w3
		dead, dead2 = dead2, dead
	}
	if err := q.Complete(ctx, "w1", dead, nil, time.Millisecond); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("stale ack: %v", err)
	}
	if err := q.Fail(ctx, "w1", dead2, errors.New("boom"), time.Millisecond); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("stale fail: %v", err)
	}
	refused := eventsOfKind(t, q, queue.EventLeaseRefused)
	if len(refused) != 2 {
		t.Fatalf("%d ack_refused events", len(refused))
	}
	want := []string{
		"the task was recovered and handed to w3 after this worker's lease lapsed; this result is dropped",
		"the task was recovered after the lease of w1 lapsed and is pending again, for the next worker; this result is dropped",
	}
	for i, e := range refused {
		if e.Error != want[i] {
			t.Errorf("refusal %d says %q, want %q", i, e.Error, want[i])
		}
	}
}

// A record made by hand under a long id (the course's producer does not check
// ids) runs, but its events carry the id's first 256 bytes only.
func TestLongIDRecordMadeByHandHasBoundedEvents(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{MaxAttempts: 2})
	ctx := context.Background()
	id := "task-" + strings.Repeat("y", 5000)
	rdb.HSet(ctx, q.Keys().Task(id), "id", id, "status", "pending", "data", `{"name":"long.jpg"}`)
	rdb.RPush(ctx, q.Keys().Pending, id)
	c := claimOne(t, q, "w1")
	if c.ID != id {
		t.Fatalf("claimed %.40q", c.ID)
	}
	if err := q.Fail(ctx, "w1", c, errors.New("boom"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{queue.EventClaimed, queue.EventRetried} {
		evs := rawEvents(t, q, kind)
		if len(evs) != 1 {
			t.Fatalf("%d %s events", len(evs), kind)
		}
		if task, _ := evs[0]["task"].(string); len(task) > queue.MaxNameBytes {
			t.Fatalf("%s event task field is %d bytes", kind, len(task))
		}
	}
}
