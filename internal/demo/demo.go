// Package demo reproduces the course's two demos on an imgq queue: basic (3
// tasks, one in-process worker) and distributed (N tasks on 1 worker process,
// then on P, with speedup and efficiency). The cli package connects, parses
// the flags and calls Basic or Distributed; everything they print goes to
// Options.Out.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// Options shape both demos.
type Options struct {
	Tasks, Workers int    // distributed: tasks and worker processes
	Width, Height  int    // of the generated images
	Size           string // as the user wrote it (--size), for the output
	Spec           pipeline.Spec
	Filters        string // as the user wrote it (--filters), for the output
	Output         string // folder for the processed images
	Yes            bool   // flush the queue even when others are using it
	Out, ErrOut    io.Writer

	// Basic: the in-process worker (the cli builds it as `imgq worker` would).
	NewWorker func(q *queue.Queue) (*workers.Worker, error)
	// Distributed: how worker processes reach Redis and the queue's timings.
	RedisURL      string
	Lease         time.Duration
	WorkerTimeout time.Duration
}

// InUseError is the refusal to flush a queue others are using.
type InUseError struct {
	Queue         string
	Busy, Workers int64
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("queue %s is in use (%d task(s) waiting or running, %d live worker(s)) and the demo starts by flushing it: "+
		"use a queue of its own (--queue demo), or --yes to flush it anyway", e.Queue, e.Busy, e.Workers)
}

func (o *Options) sampleTasks(n int) ([]queue.NewTask, error) {
	tasks := make([]queue.NewTask, n)
	for i := range tasks {
		var err error
		if tasks[i], err = workers.SampleTask(o.Spec, o.Width, o.Height, int64(i+1), fmt.Sprintf("image_%02d.jpg", i+1)); err != nil {
			return nil, err
		}
	}
	return tasks, nil
}

// claimQueue makes sure the demo may flush q, as the course's demo cleared its
// queue: it refuses a queue that others are using (tasks waiting or running,
// live workers, a student's or the dashboard's) unless yes.
func claimQueue(ctx context.Context, q *queue.Queue, yes bool) error {
	if yes {
		return nil
	}
	s, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	var live int64
	for _, w := range s.Workers {
		if w.State != queue.WorkerGone && w.State != queue.WorkerStop {
			live++
		}
	}
	if busy := s.PendingTotal() + s.Processing + s.Retry; busy > 0 || live > 0 {
		return &InUseError{Queue: q.Name(), Busy: busy, Workers: live}
	}
	return nil
}

// waitFinished polls the demo's own tasks (a demo can afford it) until every one
// has completed or failed, whoever else works the queue meanwhile.
func waitFinished(ctx context.Context, q *queue.Queue, tasks []queue.NewTask, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		done := 0
		for _, t := range tasks {
			st, err := q.Client().HGet(ctx, q.Keys().Task(t.ID), "status").Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return fmt.Errorf("status of %s: %w", t.ID, err)
			}
			if st == string(queue.StatusCompleted) || st == string(queue.StatusFailed) {
				done++
			}
		}
		if done == len(tasks) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tasks finished within %s", done, len(tasks), timeout)
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
