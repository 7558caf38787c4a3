package queue_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
)

// The course's layout, as its Python code leaves it, read with the same
// commands its README teaches. Default queue name: the course's own keys.
func TestImgqWritesTheCoursesLayout(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: queue.DefaultName})
	id, _, err := q.Enqueue(ctx, queue.NewTask{Name: "a.jpg", Payload: []byte(`{"name":"a.jpg","image_path":"/img/a.jpg","output_path":"output/a.jpg"}`)})
	if err != nil {
		t.Fatal(err)
	}
	h := rdb.HGetAll(ctx, "task:"+id).Val()
	if h["id"] != id || h["status"] != "pending" || !strings.Contains(h["data"], `"image_path":"/img/a.jpg"`) || !isUnixSeconds(h["created_at"]) {
		t.Fatalf("task:%s after enqueue: %v", id, h)
	}
	c := claimOne(t, q, "w1")
	if got := rdb.HGetAll(ctx, "image_processing:processing").Val(); got[id] != "w1" || len(got) != 1 {
		t.Fatalf("HGETALL image_processing:processing = %v", got)
	}
	h = rdb.HGetAll(ctx, "task:"+id).Val()
	if h["status"] != "processing" || h["worker_id"] != "w1" || !isUnixSeconds(h["started_at"]) {
		t.Fatalf("task after claim: %v", h)
	}
	err = q.Finish(ctx, []queue.Outcome{{Worker: "w1", Task: c, Result: []byte(`{"ms":5}`), Output: "out/a.jpg", Elapsed: 1250 * time.Millisecond}})[0]
	if err != nil {
		t.Fatal(err)
	}
	if n := rdb.HLen(ctx, "image_processing:processing").Val(); n != 0 {
		t.Fatalf("processing still holds %d", n)
	}
	if got := rdb.LRange(ctx, "image_processing:completed", 0, -1).Val(); len(got) != 1 || got[0] != id {
		t.Fatalf("completed %v", got)
	}
	h = rdb.HGetAll(ctx, "task:"+id).Val()
	if h["status"] != "completed" || !isUnixSeconds(h["completed_at"]) {
		t.Fatalf("task after completion: %v", h)
	}
	r := rdb.HGetAll(ctx, "result:"+id).Val()
	if r["task_id"] != id || r["output_path"] != "out/a.jpg" || r["worker_id"] != "w1" || r["total_time"] != "1.250" {
		t.Fatalf("HGETALL result:%s = %v", id, r)
	}
	info, err := q.Task(ctx, id[:8])
	if err != nil || info.Output != "out/a.jpg" || info.FinishedAt.IsZero() || info.Worker != "w1" {
		t.Fatalf("Task by prefix: %+v %v", info, err)
	}
}

func isUnixSeconds(s string) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && v > 1.7e9 && v < 1e10
}

// courseAdd is the course producer's add_task: HSET task:<id>, RPUSH pending.
func courseAdd(t *testing.T, rdb *redis.Client, queueName, id, name string) {
	t.Helper()
	now := fmt.Sprint(float64(time.Now().UnixMicro()) / 1e6)
	rdb.HSet(ctx, "task:"+id, "id", id, "data", `{"name":"`+name+`","image_path":"images/`+name+`","output_path":"output/`+name+`"}`,
		"status", "pending", "created_at", now)
	rdb.RPush(ctx, queueName+":pending", id)
}

// courseGet is the course worker's get_task: RPOP, then HSET processing and the record.
func courseGet(t *testing.T, rdb *redis.Client, queueName, worker string) string {
	t.Helper()
	id := rdb.RPop(ctx, queueName+":pending").Val()
	if id == "" {
		t.Fatal("course worker found nothing")
	}
	rdb.HSet(ctx, queueName+":processing", id, worker)
	rdb.HSet(ctx, "task:"+id, "status", "processing", "worker_id", worker, "started_at", fmt.Sprint(float64(time.Now().UnixMicro())/1e6))
	return id
}

// courseDone is the course worker's mark_completed.
func courseDone(rdb *redis.Client, queueName, id, worker string) {
	rdb.HDel(ctx, queueName+":processing", id)
	rdb.LPush(ctx, queueName+":completed", id)
	rdb.HSet(ctx, "task:"+id, "status", "completed", "completed_at", fmt.Sprint(float64(time.Now().UnixMicro())/1e6))
	rdb.HSet(ctx, "result:"+id, "task_id", id, "output_path", "output/x.jpg", "worker_id", worker, "total_time", "0.2")
}

func TestCourseProducedTaskIsClaimedByImgq(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: queue.DefaultName})
	courseAdd(t, rdb, queue.DefaultName, "task-1a2b3c4d", "cat.jpg")
	c := claimOne(t, q, "w1")
	if c.ID != "task-1a2b3c4d" || c.Name != "cat.jpg" || c.Priority != queue.Normal || c.MaxAttempts != 3 || c.Attempt != 1 || c.CreatedAt.IsZero() {
		t.Fatalf("claimed %+v", c)
	}
	if err := q.Fail(ctx, "w1", c, queue.Permanent(errors.New("images/cat.jpg: no such file")), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	h := rdb.HGetAll(ctx, "task:task-1a2b3c4d").Val()
	if h["status"] != "failed" || !strings.Contains(h["error"], "no such file") {
		t.Fatalf("record %v", h)
	}
	if n, err := q.RequeueAll(ctx); err != nil || n != 1 {
		t.Fatalf("requeue %d %v", n, err)
	}
}

// A course worker's claims, completions and failures show up as an observed
// worker and observed events, and imgq dead-letters written by the course's
// mark_failed can be requeued.
func TestCourseWorkerIsObserved(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: queue.DefaultName})
	ids := enqueueN2(t, q, 3)
	if _, err := q.Maintain(ctx); err != nil { // the observer's first pass
		t.Fatal(err)
	}
	id := courseGet(t, rdb, queue.DefaultName, "py-1")
	if id != ids[2] {
		t.Fatalf("RPOP took %s, want the newest %s (the course's LIFO)", id, ids[2])
	}
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := findWorker(st, "py-1")
	if w == nil || !w.Observed || w.State != queue.WorkerBusy || w.Current != id || st.Processing != 1 {
		t.Fatalf("observed worker %+v, processing %d", w, st.Processing)
	}
	time.Sleep(20 * time.Millisecond)
	courseDone(rdb, queue.DefaultName, id, "py-1")
	id2 := courseGet(t, rdb, queue.DefaultName, "py-1")
	rdb.HDel(ctx, "image_processing:processing", id2)
	rdb.LPush(ctx, "image_processing:failed", id2)
	rdb.HSet(ctx, "task:"+id2, "status", "failed", "error", "KeyError: 'data'")
	if _, err := q.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ = q.Stats(ctx)
	w = findWorker(st, "py-1")
	if w == nil || w.Processed != 1 || w.Failed != 1 || w.State != queue.WorkerIdle || w.Current != "" {
		t.Fatalf("observed worker after finishing %+v", w)
	}
	var kinds []string
	evs, _ := q.LastEvents(ctx, 100)
	for _, e := range evs {
		if e.Observed {
			if e.Worker != "py-1" {
				t.Fatalf("observed event names %q", e.Worker)
			}
			kinds = append(kinds, e.Kind+" "+e.Task)
		}
	}
	want := []string{"claimed " + id, "completed " + id, "failed " + id2}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("observed events %v, want %v", kinds, want)
	}
	if n, err := q.RequeueAll(ctx); err != nil || n != 1 {
		t.Fatalf("requeue of the course's dead letter: %d %v", n, err)
	}
	if got := claimOne(t, q, "w1"); got.ID != ids[0] {
		t.Fatalf("imgq takes the oldest first: %s", got.ID)
	}
}

func enqueueN2(t *testing.T, q *queue.Queue, n int) []string {
	t.Helper()
	return enqueueN(t, q, n, queue.Normal)
}

func findWorker(st queue.Stats, id string) *queue.WorkerStat {
	for i := range st.Workers {
		if st.Workers[i].ID == id {
			return &st.Workers[i]
		}
	}
	return nil
}

// A key of the wrong type (an older imgq's processing LIST) makes every call
// say which key, its type, what imgq expects and the fix, and changes nothing.
func TestLayoutClashIsExplained(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Name: queue.DefaultName})
	enqueueN(t, q, 2, queue.Normal)
	rdb.RPush(ctx, "image_processing:processing", "task-old")
	_, err := q.Claim(ctx, "w", 1)
	var le *queue.LayoutError
	if !errors.As(err, &le) || !errors.Is(err, queue.ErrLayout) {
		t.Fatalf("claim: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"image_processing:processing is a list", "expects a hash", "imgq flush"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("message %q lacks %q", msg, want)
		}
	}
	if _, err := q.Stats(ctx); !errors.As(err, &le) {
		t.Fatalf("stats: %v", err)
	}
	if err := q.CheckLayout(ctx); !errors.As(err, &le) || len(le.Clashes) != 1 {
		t.Fatalf("check: %v", err)
	}
	// Nothing changed: both tasks still wait (the failed claim script popped none
	// it could not place), and the old list is as it was.
	if n := rdb.LLen(ctx, "image_processing:pending").Val() + rdb.LLen(ctx, "image_processing:failed").Val(); n != 2 {
		t.Fatalf("pending+failed = %d", n)
	}
	if got := rdb.LRange(ctx, "image_processing:processing", 0, -1).Val(); len(got) != 1 {
		t.Fatalf("old list changed: %v", got)
	}
	if _, err := q.Flush(ctx); err != nil {
		t.Fatalf("flush, the fix: %v", err)
	}
	if err := q.CheckLayout(ctx); err != nil {
		t.Fatalf("after flush: %v", err)
	}
}

// A pending list of the wrong type met half-way through a claim: what was
// claimed before it stays held under a lease (and is recovered when it lapses),
// the error names the key, and nothing is lost. An enqueue onto it changes nothing.
func TestWrongTypeMidClaimLosesNothing(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{Lease: 200 * time.Millisecond})
	ids := enqueueN(t, q, 2, queue.Normal)
	rdb.Set(ctx, "t:pending:low", "not a list", 0)
	_, err := q.Claim(ctx, "w", 5)
	var le *queue.LayoutError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "t:pending:low is a string") {
		t.Fatalf("claim: %v", err)
	}
	if n := rdb.ZCard(ctx, "t:leases").Val(); n != 2 {
		t.Fatalf("the two claimed tasks hold %d leases", n)
	}
	if _, _, err := q.Enqueue(ctx, queue.NewTask{Priority: queue.Low, Payload: []byte("{}")}); !errors.As(err, &le) {
		t.Fatalf("enqueue onto a string: %v", err)
	}
	if n := rdb.SCard(ctx, "t:tasks").Val(); n != 2 {
		t.Fatalf("a refused enqueue left a record in the index (%d)", n)
	}
	rdb.Del(ctx, "t:pending:low")
	time.Sleep(250 * time.Millisecond)
	if m, err := q.Maintain(ctx); err != nil || m.Recovered != 2 {
		t.Fatalf("maintain: %+v %v", m, err)
	}
	got, err := q.Claim(ctx, "w2", 5)
	if err != nil || len(got) != 2 || got[0].ID+got[1].ID != ids[0]+ids[1] && got[0].ID+got[1].ID != ids[1]+ids[0] {
		t.Fatalf("reclaim: %v %v", got, err)
	}
}

// A record with neither the course's status nor data (written by hand) is
// dead-lettered with that reason, not taken for a missing one nor left behind.
func TestRecordWithoutStatusOrDataIsDeadLettered(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	rdb.HSet(ctx, "task:task-bare", "name", "bare.jpg")
	rdb.RPush(ctx, "t:pending", "task-bare")
	if got, err := q.Claim(ctx, "w", 1); err != nil || len(got) != 0 {
		t.Fatalf("claim: %v %v", got, err)
	}
	evs := eventsOfKind(t, q, queue.EventFailed)
	if len(evs) != 1 || evs[0].Error != "task record task:task-bare has neither status nor data" {
		t.Fatalf("failed events %+v", evs)
	}
	if f := rdb.LRange(ctx, "t:failed", 0, -1).Val(); len(f) != 1 || f[0] != "task-bare" {
		t.Fatalf("failed list %v", f)
	}
}
