package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

func newQueue(t *testing.T, o queue.Options) *queue.Queue {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	if o.Name == "" {
		o.Name = "w"
	}
	q, err := queue.New(srv.Client(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func waitStats(t *testing.T, q *queue.Queue, what string, cond func(queue.Stats) bool) queue.Stats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := q.Stats(context.Background())
		if err == nil && cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last stats %+v, err %v)", what, s, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func imageHandler(t *testing.T, q *queue.Queue) (*workers.ImageHandler, string) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return &workers.ImageHandler{Queue: q, Output: root}, dir
}

func TestWorkerProcessesImages(t *testing.T) {
	q := newQueue(t, queue.Options{})
	h, dir := imageHandler(t, q)
	spec := pipeline.MustParse(workers.CourseFilters)
	var ids []string
	for i := range 5 {
		task, err := workers.SampleTask(spec, 96, 64, int64(i), "")
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := q.Enqueue(context.Background(), task)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	w, err := workers.New(q, workers.Config{ID: "w1", Concurrency: 2, Handler: h.Handle})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	s := waitStats(t, q, "5 completed", func(s queue.Stats) bool { return s.Totals.Completed == 5 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.Workers[0].Processed != 5 {
		t.Fatalf("worker processed %d", s.Workers[0].Processed)
	}
	for _, id := range ids {
		info, err := q.Task(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var r workers.Result
		if err := json.Unmarshal(info.Result, &r); err != nil {
			t.Fatalf("result of %s: %v (%q)", id, err, info.Result)
		}
		if r.Width != 96 || r.Height != 64 || r.Bytes == 0 {
			t.Fatalf("result %+v", r)
		}
		if filepath.Dir(r.Output) != dir {
			t.Fatalf("output %s outside %s", r.Output, dir)
		}
		if _, err := os.Stat(r.Output); err != nil {
			t.Fatal(err)
		}
		if info.Fields["blob_bytes"] == "" || q.Client().Exists(context.Background(), q.Keys().Blob(id)).Val() != 0 {
			t.Fatalf("blob of %s should be removed once finished", id)
		}
	}
	// After Run returned, the worker is deregistered.
	s, _ = q.Stats(context.Background())
	if s.Workers[0].State != queue.WorkerStop {
		t.Fatalf("state after stop: %s", s.Workers[0].State)
	}
}

func TestBadPayloadAndSpecAreDeadLetteredAtOnce(t *testing.T) {
	q := newQueue(t, queue.Options{})
	h, _ := imageHandler(t, q)
	bad := []queue.NewTask{
		{ID: "task-garbage", Payload: []byte("not json {")},
		{ID: "task-badspec", Payload: []byte(`{"filters":"blurr:2","input":"x.jpg"}`)},
		{ID: "task-noblob", Payload: []byte(`{"filters":"grayscale","input":"x.jpg"}`)},
		{ID: "task-corrupt", Payload: []byte(`{"filters":"grayscale","input":"x.jpg"}`), Blob: []byte("\xff\xd8\xff garbage")},
		{ID: "task-shared-escape", Payload: []byte(`{"filters":"grayscale","input":"../../etc/passwd","shared":true}`)},
	}
	if _, err := q.EnqueueBatch(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	w, _ := workers.New(q, workers.Config{ID: "w", Handler: h.Handle})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	waitStats(t, q, "all dead-lettered", func(s queue.Stats) bool { return s.Failed == int64(len(bad)) })
	for _, b := range bad {
		info, _ := q.Task(context.Background(), b.ID)
		if info.Status != queue.StatusFailed || info.Attempts != 1 || info.Error == "" {
			t.Errorf("%s: status %s attempts %d error %q (want failed at once with a reason)", b.ID, info.Status, info.Attempts, info.Error)
		}
		t.Logf("%s: %s", b.ID, info.Error)
	}
}

func TestFailureInjectionRetriesThenSucceedsOrDeadLetters(t *testing.T) {
	q := newQueue(t, queue.Options{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	if err := q.SetFailRate(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	h, _ := imageHandler(t, q)
	task, _ := workers.SampleTask(pipeline.MustParse("grayscale"), 32, 32, 1, "")
	id, _, _ := q.Enqueue(context.Background(), task)
	w, _ := workers.New(q, workers.Config{ID: "w", Handler: h.Handle, OnFailRate: h.SetFailRate, Heartbeat: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	waitStats(t, q, "dead letter after 3 attempts", func(s queue.Stats) bool { return s.Failed == 1 })
	info, _ := q.Task(context.Background(), id)
	if info.Attempts != 3 || info.Error != workers.ErrInjected.Error() {
		t.Fatalf("after injection: attempts %d error %q", info.Attempts, info.Error)
	}
	// Injection off, requeue: it completes.
	_ = q.SetFailRate(context.Background(), 0)
	time.Sleep(100 * time.Millisecond) // a heartbeat carries the new rate
	if n, _ := q.RequeueAll(context.Background()); n != 1 {
		t.Fatal("requeue")
	}
	waitStats(t, q, "completed after requeue", func(s queue.Stats) bool { return s.Totals.Completed == 1 })
}

func TestPoolScalesAndPauses(t *testing.T) {
	q := newQueue(t, queue.Options{})
	var ran atomic.Int64
	handler := func(ctx context.Context, _ queue.Claimed) ([]byte, error) {
		ran.Add(1)
		return nil, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	pool := workers.NewPool(ctx, q, workers.Config{Handler: handler})
	if err := pool.Scale(3); err != nil {
		t.Fatal(err)
	}
	waitStats(t, q, "3 workers", func(s queue.Stats) bool { return len(s.Workers) == 3 })
	pool.SetPaused(true)
	if _, err := q.EnqueueBatch(ctx, []queue.NewTask{{Payload: []byte("{}")}, {Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if ran.Load() != 0 {
		t.Fatal("a paused pool ran tasks")
	}
	pool.SetPaused(false)
	waitStats(t, q, "2 completed", func(s queue.Stats) bool { return s.Totals.Completed == 2 })
	if err := pool.Scale(1); err != nil {
		t.Fatal(err)
	}
	waitStats(t, q, "2 stopped", func(s queue.Stats) bool {
		stopped := 0
		for _, w := range s.Workers {
			if w.State == queue.WorkerStop {
				stopped++
			}
		}
		return stopped == 2
	})
	if pool.Size() != 1 {
		t.Fatalf("size %d", pool.Size())
	}
	if err := pool.Scale(-1); err == nil {
		t.Fatal("scale -1 accepted")
	}
	cancel()
	pool.Wait()
}

func TestHandlerPanicIsAPermanentFailureNotACrash(t *testing.T) {
	q := newQueue(t, queue.Options{})
	handler := func(ctx context.Context, _ queue.Claimed) ([]byte, error) { panic("boom") }
	_, _, _ = q.Enqueue(context.Background(), queue.NewTask{ID: "task-p", Payload: []byte("{}")})
	w, _ := workers.New(q, workers.Config{ID: "w", Handler: handler})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	waitStats(t, q, "failed", func(s queue.Stats) bool { return s.Failed == 1 })
	info, _ := q.Task(context.Background(), "task-p")
	if info.Error != "handler panic: boom" {
		t.Fatalf("error %q", info.Error)
	}
}

func TestDecodeJob(t *testing.T) {
	if _, _, err := workers.DecodeJob([]byte(`{"filters":"blur:2","input":"a.jpg"}`)); err != nil {
		t.Fatal(err)
	}
	_, _, err := workers.DecodeJob([]byte(`{"filters":"nope"}`))
	if !queue.IsPermanent(err) || !errors.Is(err, pipeline.ErrBadSpec) {
		t.Fatalf("bad spec: %v", err)
	}
}

// Two dashboards on one host: the second pool's workers cannot take host-w1..
// (live ids are refused) and fall back to ids with the pid.
func TestTwoPoolsOnOneHostGetDistinctIDs(t *testing.T) {
	q := newQueue(t, queue.Options{})
	handler := func(ctx context.Context, _ queue.Claimed) ([]byte, error) { return nil, nil }
	ctx, cancel := context.WithCancel(context.Background())
	a := workers.NewPool(ctx, q, workers.Config{Handler: handler})
	b := workers.NewPool(ctx, q, workers.Config{Handler: handler})
	_ = a.Scale(2)
	waitStats(t, q, "2 workers", func(s queue.Stats) bool { return len(s.Workers) == 2 })
	_ = b.Scale(2)
	s := waitStats(t, q, "4 live workers", func(s queue.Stats) bool {
		live := 0
		for _, w := range s.Workers {
			if w.State == queue.WorkerIdle {
				live++
			}
		}
		return live == 4
	})
	ids := map[string]bool{}
	for _, w := range s.Workers {
		ids[w.ID] = true
	}
	if len(ids) != 4 {
		t.Fatalf("ids %v", ids)
	}
	if a.Size() != 2 || b.Size() != 2 {
		t.Fatalf("sizes %d %d", a.Size(), b.Size())
	}
	cancel()
	a.Wait()
	b.Wait()
}

func TestWithIDRenamesTheOutputPath(t *testing.T) {
	task, err := workers.SampleTask(pipeline.MustParse("grayscale"), 8, 8, 1, "cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	got, err := workers.WithID(task, "task-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := workers.DecodeJob(got.Payload)
	if err != nil || got.ID != "task-0123456789abcdef" || job.OutputPath != "output/task-0123456789abcdef_cat.jpg" || job.Name != "cat.jpg" {
		t.Fatalf("%s %+v %v", got.ID, job, err)
	}
}
