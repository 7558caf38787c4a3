package workers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// On a sharded queue, acknowledgements one shard refuses (here its completed
// list is of the wrong type, as a shard whose master is down would fail them)
// wait in the acker's carry while the other shards' are recorded; once the
// shard is fixed, the carried ones are recorded too, each task once.
func TestShardRefusingAcksDoesNotHoldUpTheOthers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	q, err := queue.New(rdb, queue.Options{Name: "w", Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := q.Shards()[1].Keys().Completed
	if err := rdb.Set(ctx, bad, "not a list", 0).Err(); err != nil {
		t.Fatal(err)
	}
	ts := make([]queue.NewTask, 30) // round-robin: 10 on each shard
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprint("t", i), Payload: []byte(`{}`)}
	}
	if _, err := q.EnqueueBatch(ctx, ts); err != nil {
		t.Fatal(err)
	}
	h := func(context.Context, queue.Claimed) ([]byte, error) { return []byte(`{}`), nil }
	// More slots than the refused shard's tasks: they hold theirs meanwhile.
	w, err := workers.New(q, workers.Config{ID: "w1", Handler: h, Concurrency: 16, Heartbeat: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w, 30*time.Second)
	completed := func(i int) int64 {
		n, err := rdb.HGet(ctx, q.Shards()[i].Keys().Stats, "completed").Int64()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for completed(0)+completed(2) < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("the healthy shards completed %d and %d of 10 each while shard 1 refused its acks",
				completed(0), completed(2))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := completed(1); n != 0 {
		t.Fatalf("shard 1 recorded %d completions with its completed list broken", n)
	}
	if err := rdb.Del(ctx, bad).Err(); err != nil {
		t.Fatal(err)
	}
	for completed(1) < 10 {
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("after the fix shard 1 completed %d of 10", completed(1))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A completion is recorded only for the task's holder, once: 30 means
	// each task once (claims may be more: a claim riding on a batch whose
	// acks were refused hands back what it took for their slots).
	if st.Totals.Completed != 30 || st.Processing != 0 || st.PendingTotal() != 0 || st.Failed != 0 {
		t.Fatalf("totals: completed %d, processing %d, pending %d, failed %d; want 30 completed",
			st.Totals.Completed, st.Processing, st.PendingTotal(), st.Failed)
	}
}
