package queue_test

import (
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

// A wait shorter than a second (the worker's first idle waits, so a course
// producer's token-less RPUSH is claimed soon) is sent to Redis as a decimal
// timeout: it ends without a token as "no work", not as an error, and still
// takes a token when one is there.
func TestWaitForWorkSubSecond(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	for _, d := range []time.Duration{0, 10 * time.Millisecond, 250 * time.Millisecond} {
		if ok, err := q.WaitForWork(ctx, d); ok || err != nil {
			t.Fatalf("WaitForWork(%s) on an empty queue: %v %v, want false and no error", d, ok, err)
		}
	}
	enqueueN(t, q, 1, queue.Normal)
	if ok, err := q.WaitForWork(ctx, 10*time.Millisecond); !ok || err != nil {
		t.Fatalf("WaitForWork(10ms) with a token waiting: %v %v, want true", ok, err)
	}
}
