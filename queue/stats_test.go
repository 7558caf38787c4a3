package queue_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
)

// countHook counts commands sent and round trips made.
type countHook struct{ cmds, trips atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		h.trips.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.cmds.Add(int64(len(cmds)))
		h.trips.Add(1)
		return next(ctx, cmds)
	}
}

func TestStatsIsOneRoundTripWhateverTheQueueLength(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	for i := range 3 {
		register(t, q, "w"+string(rune('a'+i)))
	}
	// 50,000 pending ids pushed directly: Stats must not read them.
	ids := make([]any, 50000)
	for i := range ids {
		ids[i] = i
	}
	rdb.RPush(ctx, "t:pending", ids...)
	enqueueN(t, q, 2, queue.High)
	c := claimOne(t, q, "wa")

	h := &countHook{}
	rdb.AddHook(h)
	s, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if trips := h.trips.Load(); trips != 1 {
		t.Fatalf("Stats made %d round trips, want 1", trips)
	}
	if s.Pending != 50000 || s.PendingHigh != 1 || s.Processing != 1 || s.Totals.Enqueued != 2 {
		t.Fatalf("stats %+v", s)
	}
	if len(s.Workers) != 3 {
		t.Fatalf("%d workers, want 3", len(s.Workers))
	}
	var wa queue.WorkerStat
	for _, w := range s.Workers {
		if w.ID == "wa" {
			wa = w
		}
	}
	if wa.Current != c.ID || wa.State != queue.WorkerBusy || wa.Host != "h" {
		t.Fatalf("worker wa: %+v", wa)
	}
	// The script reads no list: LLEN for depths, and LRANGE 0 0 for the head of
	// each pending list (the queue latency). MONITOR shows what it ran.
	heads := 0
	for _, l := range monitorDuring(t, rdb, func() { _, _ = q.Stats(ctx) }) {
		if !strings.Contains(strings.ToLower(l), `"lrange"`) {
			continue
		}
		if !strings.HasSuffix(l, `"0" "0"`) {
			t.Fatalf("stats read more than a list's head: %s", l)
		}
		heads++
	}
	if heads != 3 {
		t.Fatalf("stats read %d list heads, want the 3 pending lists'", heads)
	}
}

// monitorDuring returns the MONITOR lines of the commands f sends (those of
// its scripts included), read until an ECHO sent after f comes back.
func monitorDuring(t *testing.T, rdb *redis.Client, f func()) []string {
	t.Helper()
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, err := redisconn.Monitor(mctx, rdb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f()
	rdb.Echo(ctx, "monitor-done")
	var got []string
	for l := range lines {
		if strings.Contains(l, `"monitor-done"`) {
			return got
		}
		got = append(got, l)
	}
	t.Fatal("MONITOR ended before the ECHO")
	return nil
}

// Stats carries the queue latency, the same figure OldestPending reads on its
// own: a course task an hour old at the head of the low list, a head without
// a record skipped.
func TestStatsOldestPending(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	if s, err := q.Stats(ctx); err != nil || s.OldestPending != 0 {
		t.Fatalf("empty queue: latency %v, err %v; want 0", s.OldestPending, err)
	}
	enqueueN(t, q, 2, queue.Normal)
	old := float64(time.Now().Add(-time.Hour).UnixMicro()) / 1e6
	rdb.HSet(ctx, q.Keys().Task("course-1"), "status", "pending", "created_at", fmt.Sprintf("%.6f", old))
	rdb.RPush(ctx, q.Keys().PendingLow, "course-1")
	rdb.RPush(ctx, q.Keys().PendingHigh, "no-record")
	s, err := q.Stats(ctx)
	if err != nil || s.OldestPending < 59*time.Minute || s.OldestPending > 61*time.Minute {
		t.Fatalf("latency %v, err %v; want about 1h", s.OldestPending, err)
	}
	alone, err := q.OldestPending(ctx)
	if err != nil || (alone-s.OldestPending).Abs() > 10*time.Second {
		t.Fatalf("OldestPending %v, Stats %v (err %v): they disagree", alone, s.OldestPending, err)
	}
}

func TestFailRateIsShared(t *testing.T) {
	q, _, _ := newQueue(t, queue.Options{})
	if err := q.SetFailRate(ctx, 0.2); err != nil {
		t.Fatal(err)
	}
	// Workers get it with their heartbeat, in the same round trip.
	w := register(t, q, "w")
	if r, err := q.Heartbeat(ctx, w, queue.WorkerIdle, nil); err != nil || r.FailRate != 0.2 {
		t.Fatalf("heartbeat rate %v, err %v", r.FailRate, err)
	}
	if s, _ := q.Stats(ctx); s.FailRate != 0.2 {
		t.Fatalf("stats rate %v", s.FailRate)
	}
	if err := q.SetFailRate(ctx, 2); err == nil {
		t.Fatal("accepted a rate of 2")
	}
}

func TestScriptNamesForMonitor(t *testing.T) {
	q, rdb, _ := newQueue(t, queue.Options{})
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, err := redisconn.Monitor(mctx, rdb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enqueueN(t, q, 1, queue.Normal)
	for line := range lines {
		if !strings.Contains(strings.ToLower(line), `"evalsha"`) {
			continue
		}
		// 1732581234.567890 [0 127.0.0.1:5555] "evalsha" "<sha>" "6" ...
		f := strings.Fields(line)
		sha := strings.Trim(f[4], `"`)
		if got := queue.ScriptName(sha); got != "enqueue.lua" {
			t.Fatalf("ScriptName(%s) = %q, want enqueue.lua (line %q)", sha, got, line)
		}
		break
	}
	foreign, _ := rdb.ScriptLoad(ctx, "return 1").Result()
	if queue.ScriptName(foreign) != "" {
		t.Fatal("a foreign script was named")
	}
}
