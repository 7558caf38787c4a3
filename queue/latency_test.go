package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

func TestOldestPending(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	ctx := context.Background()
	age, err := q.OldestPending(ctx)
	if err != nil || age != 0 {
		t.Fatalf("empty queue: age %v, err %v; want 0, nil", age, err)
	}
	enqueueN(t, q, 3, queue.Normal)
	time.Sleep(200 * time.Millisecond)
	age, err = q.OldestPending(ctx)
	if err != nil || age < 150*time.Millisecond || age > time.Minute {
		t.Fatalf("after 200ms: age %v, err %v", age, err)
	}
	// A course producer's task (time.time() stamp) an hour old, on the low list.
	old := float64(time.Now().Add(-time.Hour).UnixMicro()) / 1e6
	rdb.HSet(ctx, q.Keys().Task("course-1"), "status", "pending", "created_at", fmt.Sprintf("%.6f", old))
	rdb.RPush(ctx, q.Keys().PendingLow, "course-1")
	// A head with no record is skipped, not an error.
	rdb.RPush(ctx, q.Keys().PendingHigh, "no-record")
	age, err = q.OldestPending(ctx)
	if err != nil || age < 59*time.Minute || age > 61*time.Minute {
		t.Fatalf("with an hour-old course task: age %v, err %v; want about 1h", age, err)
	}
}
