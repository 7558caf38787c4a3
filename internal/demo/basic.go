package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// BasicWorkerID is the in-process worker of the basic demo.
const BasicWorkerID = "demo-worker"

// Basic flushes q, enqueues 3 tasks, processes them with one in-process
// worker and prints what the course printed: stats, results and the keys.
func Basic(ctx context.Context, q *queue.Queue, addr string, o Options) error {
	out := o.Out
	fmt.Fprintf(out, "imgq demo basic — Redis %s, queue %s\n\n", addr, q.Name())
	if err := claimQueue(ctx, q, o.Yes); err != nil {
		return err
	}
	n, err := q.Flush(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Cleared the queue (%d keys removed)\n", n)
	tasks, err := o.sampleTasks(3)
	if err != nil {
		return err
	}
	if _, err := q.EnqueueBatch(ctx, tasks); err != nil {
		return err
	}
	fmt.Fprintf(out, "2. Enqueued %d tasks (%s, filters %s)\n", len(tasks), o.Size, o.Spec)
	for _, t := range tasks {
		fmt.Fprintf(out, "   %s  %s\n", t.ID, t.Name)
	}
	elapsed, err := runOneWorker(ctx, q, o, tasks)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3. One worker processed them in %.2fs\n\n", elapsed.Seconds())
	if err := printStats(ctx, out, q); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nResults:")
	if err := printResults(ctx, out, q, tasks); err != nil {
		return err
	}
	return printKeys(ctx, out, q, tasks)
}

// runOneWorker runs the demo's worker until every task finished, then stops it.
func runOneWorker(ctx context.Context, q *queue.Queue, o Options, tasks []queue.NewTask) (time.Duration, error) {
	w, err := o.NewWorker(q)
	if err != nil {
		return 0, err
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(wctx) }()
	werr := waitFinished(ctx, q, tasks, 2*time.Minute)
	elapsed := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return 0, err
	}
	return elapsed, werr
}

func printStats(ctx context.Context, out io.Writer, q *queue.Queue) error {
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Queue stats:  pending %d  processing %d  completed %d  failed %d\n",
		s.PendingTotal(), s.Processing, s.Completed, s.Failed)
	for _, ws := range s.Workers {
		if ws.ID != BasicWorkerID {
			continue
		}
		total := ws.Processed + ws.Failed
		rate := 0.0
		if total > 0 {
			rate = 100 * float64(ws.Processed) / float64(total)
		}
		fmt.Fprintf(out, "Worker stats: completed %d  failed %d  success rate %.0f%%  total %.2fs  average %.3fs\n",
			ws.Processed, ws.Failed, rate, ws.Busy.Seconds(), ws.MeanTime().Seconds())
	}
	return nil
}

func printResults(ctx context.Context, out io.Writer, q *queue.Queue, tasks []queue.NewTask) error {
	for _, t := range tasks {
		info, err := q.Task(ctx, t.ID)
		if err != nil {
			return err
		}
		var r workers.Result
		_ = json.Unmarshal(info.Result, &r)
		if info.Status != queue.StatusCompleted {
			fmt.Fprintf(out, "  %s  %-9s %s\n", t.ID, info.Status, safetext.Truncate(info.Error, 100))
			continue
		}
		fmt.Fprintf(out, "  %s  %s → %s  %dx%d  %d bytes  %dms  by %s\n", t.ID, t.Name,
			safetext.Clean(r.Output), r.Width, r.Height, r.Bytes, r.MS, safetext.Clean(info.Worker))
	}
	return nil
}

func printKeys(ctx context.Context, out io.Writer, q *queue.Queue, tasks []queue.NewTask) error {
	var keys []string
	// The course's records of the demo's tasks, beside the queue's own keys.
	for _, t := range tasks {
		for _, k := range []string{q.Keys().Task(t.ID), q.Keys().Result(t.ID)} {
			if q.Client().Exists(ctx, k).Val() == 1 {
				keys = append(keys, k)
			}
		}
	}
	iter := q.Client().Scan(ctx, 0, q.Keys().Pattern(), 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan keys: %w", err)
	}
	sort.Strings(keys)
	fmt.Fprintf(out, "\nKeys in Redis (%d): the demo's task:/result: records and every key matching %s\n", len(keys), q.Keys().Pattern())
	for _, k := range keys {
		typ, _ := q.Client().Type(ctx, k).Result()
		fmt.Fprintf(out, "  %-7s %s\n", typ, safetext.Clean(k))
	}
	return nil
}
