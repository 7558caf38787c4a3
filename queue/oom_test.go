package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// A batch that runs into maxmemory part-way is reported task by task: the ones
// enqueued are in the queue, the others say Redis is out of memory, and sending
// the same batch again (same ids) adds only those, never a task twice.
func TestEnqueueBatchPartialAtMaxmemory(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"}})
	rdb := srv.Client(t)
	q, err := queue.New(rdb, queue.Options{Name: "part"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	batch := func() []queue.NewTask {
		ts := make([]queue.NewTask, 12)
		for i := range ts {
			ts[i] = queue.NewTask{ID: fmt.Sprintf("task-part%02d", i), Name: fmt.Sprint(i), Payload: []byte(`{}`),
				Blob: []byte(strings.Repeat(string(rune('a'+i)), 400<<10))}
		}
		return ts
	}
	res, err := q.EnqueueBatchResults(ctx, batch())
	var be *queue.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("EnqueueBatchResults into a small Redis: err %v, want a *BatchError", err)
	}
	failed := be.Failed()
	if len(failed) == 0 || len(failed) == len(res) {
		t.Fatalf("want some tasks enqueued and some not; failed %v of %d", failed, len(res))
	}
	created := 0
	for _, r := range res {
		n, _ := rdb.Exists(ctx, q.Keys().Task(r.ID)).Result()
		switch {
		case r.Err == nil && (!r.Created || n != 1):
			t.Errorf("%s reported enqueued (created %v) but has no record", r.ID, r.Created)
		case r.Err != nil && !strings.Contains(r.Err.Error(), "Redis is out of memory"):
			t.Errorf("%s: error %v does not say Redis is out of memory", r.ID, r.Err)
		case r.Err != nil && n != 0:
			t.Errorf("%s reported not enqueued but has a record", r.ID)
		}
		if r.Err == nil {
			created++
		}
	}
	t.Logf("batch of %d into a 3 MB noeviction Redis: %d enqueued, %d refused (%v)", len(res), created, len(failed), be)

	if err := rdb.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	res2, err := q.EnqueueBatchResults(ctx, batch())
	if err != nil {
		t.Fatalf("resend: %v", err)
	}
	again := 0
	for i, r := range res2 {
		if r.Created == (res[i].Err == nil) {
			t.Errorf("%s: resent, created %v, but first send err %v", r.ID, r.Created, res[i].Err)
		}
		if r.Created {
			again++
		}
	}
	s, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Totals.Enqueued != int64(len(res)) || s.PendingTotal() != int64(len(res)) {
		t.Fatalf("after the resend: %d enqueued, %d pending; want %d each (no duplicates)", s.Totals.Enqueued, s.PendingTotal(), len(res))
	}
	t.Logf("resent the same batch: %d created, %d already there; %d tasks in all, 0 duplicates", again, len(res)-again, s.Totals.Enqueued)
}

// Over maxmemory (noeviction), every script but enqueue still runs: a worker
// registers, heartbeats, claims, completes (freeing the blob), releases and
// fails; housekeeping and stats run; enqueue alone is refused, clearly.
func TestScriptsRunOverMaxmemory(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"}})
	rdb := srv.Client(t)
	q, err := queue.New(rdb, queue.Options{Name: "full"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := q.LoadScripts(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; n < 100; n++ {
		_, _, err := q.Enqueue(ctx, queue.NewTask{Name: fmt.Sprint(n), Payload: []byte(`{}`), Blob: make([]byte, 200<<10)})
		if err != nil {
			if !strings.Contains(err.Error(), "Redis is out of memory") {
				t.Fatalf("enqueue %d: %v, want the out of memory message", n, err)
			}
			break
		}
	}
	if n == 0 || n == 100 {
		t.Fatalf("%d tasks enqueued before the limit", n)
	}
	w := register(t, q, "w1")
	got, err := q.Claim(ctx, "w1", 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim over maxmemory: %d tasks, %v", len(got), err)
	}
	if _, err := q.Heartbeat(ctx, w, queue.WorkerState("busy"), []string{got[0].ID, got[1].ID, got[2].ID}); err != nil {
		t.Fatalf("heartbeat over maxmemory: %v", err)
	}
	if err := q.Complete(ctx, "w1", got[0], []byte(`{}`), 0); err != nil {
		t.Fatalf("complete over maxmemory: %v", err)
	}
	if err := q.Release(ctx, "w1", got[1]); err != nil {
		t.Fatalf("release over maxmemory: %v", err)
	}
	if err := q.Fail(ctx, "w1", got[2], errors.New("boom"), 0); err != nil {
		t.Fatalf("fail over maxmemory: %v", err)
	}
	if _, _, err := q.Housekeep(ctx, time.Second); err != nil {
		t.Fatalf("housekeeping over maxmemory: %v", err)
	}
	if _, err := q.Stats(ctx); err != nil {
		t.Fatalf("stats over maxmemory: %v", err)
	}
	t.Logf("%d tasks of 200 KB filled a 3 MB Redis; then register, claim, heartbeat, complete, release, fail, housekeeping and stats all ran", n)
}
