package workers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// SampleEnqueuer returns what the dashboard's e and E keys call: it enqueues n
// sample images of w×h to run through spec, each as soon as it is drawn, so
// the first task shows in the events pane while the others are still being
// drawn (with 16 workers busy, drawing 15 images took over two seconds).
// It is safe for concurrent use: two quick presses draw different images.
func SampleEnqueuer(q *queue.Queue, spec pipeline.Spec, w, h int) func(ctx context.Context, n int) (int, error) {
	var seed atomic.Int64
	seed.Store(time.Now().UnixNano())
	return func(ctx context.Context, n int) (int, error) {
		done := 0
		for range n {
			s := seed.Add(1)
			t, err := SampleTask(spec, w, h, s, fmt.Sprintf("image_%04d.jpg", s%10000))
			if err != nil {
				return done, err
			}
			if _, _, err := q.Enqueue(ctx, t); err != nil {
				return done, err
			}
			done++
		}
		return done, nil
	}
}
