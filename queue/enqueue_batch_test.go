package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imgq/imgq/queue"
)

// One enqueue script call carries many tasks: each is answered on its own (a
// task already there, a task whose pending list has the wrong type), the
// others are created in order, with one wake-up token and one event each.
func TestEnqueueBatchAnswersEachTask(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ctx := context.Background()
	k := q.Keys()
	if _, _, err := q.Enqueue(ctx, queue.NewTask{ID: "task-old", Name: "old", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, k.Signal)
	rdb.Set(ctx, k.PendingHigh, "not a list", 0)
	var ts []queue.NewTask
	for i := range 300 { // more than one script call's worth
		ts = append(ts, queue.NewTask{ID: fmt.Sprintf("task-n%03d", i), Name: fmt.Sprint("n", i), Payload: []byte(`{}`)})
	}
	ts = append(ts, queue.NewTask{ID: "task-old", Name: "old", Payload: []byte(`{}`)},
		queue.NewTask{ID: "task-hi", Name: "hi", Priority: queue.High, Payload: []byte(`{}`)},
		queue.NewTask{ID: "task-low", Name: "low", Priority: queue.Low, Payload: []byte(`{}`), Blob: []byte("abc")})
	res, err := q.EnqueueBatchResults(ctx, ts)
	var be *queue.BatchError
	if !errors.As(err, &be) || len(be.Failed()) != 1 || be.Failed()[0] != 301 {
		t.Fatalf("err %v: want a BatchError for task-hi alone", err)
	}
	if !errors.Is(res[301].Err, queue.ErrLayout) || !strings.Contains(res[301].Err.Error(), k.PendingHigh) {
		t.Errorf("task-hi: %v, want a layout error naming %s", res[301].Err, k.PendingHigh)
	}
	if res[300].Err != nil || res[300].Created {
		t.Errorf("task-old: created %v, err %v; want an existing task left as it is", res[300].Created, res[300].Err)
	}
	for i := range 300 {
		if res[i].Err != nil || !res[i].Created {
			t.Fatalf("%s: created %v, err %v", res[i].ID, res[i].Created, res[i].Err)
		}
	}
	ids, _ := rdb.LRange(ctx, k.Pending, 0, -1).Result()
	if len(ids) != 301 || ids[0] != "task-old" || ids[1] != "task-n000" || ids[300] != "task-n299" {
		t.Fatalf("pending: %d ids starting %v; want task-old then the 300 in order", len(ids), ids[:min(3, len(ids))])
	}
	if n, _ := rdb.Exists(ctx, k.Task("task-hi")).Result(); n != 0 {
		t.Errorf("task-hi has a record although it was refused")
	}
	if b, _ := rdb.Get(ctx, k.Blob("task-low")).Result(); b != "abc" {
		t.Errorf("blob of task-low = %q", b)
	}
	h, _ := rdb.HGetAll(ctx, k.Task("task-low")).Result()
	if h["status"] != "pending" || h["priority"] != "low" || h["blob_bytes"] != "3" || h["attempts"] != "0" || h["name"] != "low" {
		t.Errorf("record of task-low: %v", h)
	}
	if n, _ := rdb.LLen(ctx, k.Signal).Result(); n != 301 {
		t.Errorf("%d wake-up tokens, want one per created task (301)", n)
	}
	if n, _ := rdb.HGet(ctx, k.Stats, "enqueued").Int(); n != 302 {
		t.Errorf("enqueued counter %d, want 302 (1 + 301)", n)
	}
	seen := map[string]bool{}
	for _, e := range eventsOfKind(t, q, queue.EventEnqueued) {
		seen[e.Task] = true
	}
	if len(seen) != 302 || !seen["task-n150"] || !seen["task-low"] || seen["task-hi"] {
		t.Errorf("%d enqueued events; want one per created task, none for task-hi", len(seen))
	}
}
