package queue_test

// Benchmarks of the queue's hot paths against a real redis-server (started per
// benchmark on a free loopback port). Besides ns/op they report the server's own
// time per operation (redis-µs/op, from INFO commandstats: what limits throughput
// when many workers share one Redis) and the commands Redis ran per operation
// (cmds/op, commands inside scripts included).
//
//	go test -run '^$' -bench . -benchmem ./queue/

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

func benchQueue(b *testing.B) (*queue.Queue, *redis.Client) {
	b.Helper()
	srv := redistest.Start(b, redistest.Options{})
	rdb := srv.Client(b)
	q, err := queue.New(rdb, queue.Options{Name: "b", WorkerTimeout: time.Hour, CompletedKeep: 1000})
	if err != nil {
		b.Fatal(err)
	}
	if err := q.LoadScripts(context.Background()); err != nil {
		b.Fatal(err)
	}
	return q, rdb
}

// serverCost snapshots INFO commandstats: total calls and total µs of the
// top-level commands (EVALSHA and friends; inner script commands count in calls only),
// and the CPU time redis-server has used (/proc): commandstats µs are wall time
// inside a command, so on a loaded machine they include the time the server was
// descheduled; CPU time does not, and it includes networking and parsing.
type serverCost struct{ calls, usec, cpu float64 }

func readCost(b *testing.B, rdb *redis.Client) serverCost {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var c serverCost
	if pid, _ := strconv.Atoi(infoValue(rdb, "process_id")); pid > 0 {
		if d, err := proc.ProcessCPU(pid); err == nil {
			c.cpu = float64(d.Microseconds())
		}
	}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") || name == "cmdstat_info" {
			continue
		}
		top := name == "cmdstat_evalsha" || name == "cmdstat_eval"
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch {
			case k == "calls" && name != "cmdstat_evalsha" && name != "cmdstat_eval":
				c.calls += n // commands run (inside scripts or not); scripts themselves not counted
			case k == "usec" && top:
				c.usec += n
			}
		}
	}
	return c
}

// infoValue is one field of INFO server ("" when unreadable).
func infoValue(rdb *redis.Client, field string) string {
	info, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

func (c serverCost) plus(d serverCost) serverCost {
	return serverCost{c.calls + d.calls, c.usec + d.usec, c.cpu + d.cpu}
}

func (c serverCost) minus(d serverCost) serverCost {
	return serverCost{c.calls - d.calls, c.usec - d.usec, c.cpu - d.cpu}
}

func reportCost(b *testing.B, rdb *redis.Client, before serverCost, ops int) {
	after := readCost(b, rdb)
	after.calls -= before.calls
	after.usec -= before.usec
	after.cpu -= before.cpu
	report(b, after, ops)
}

// report prints a cost accumulated over ops operations (tasks).
func report(b *testing.B, c serverCost, ops int) {
	b.ReportMetric(c.usec/float64(ops), "redis-µs/op")
	b.ReportMetric(c.cpu/float64(ops), "redis-cpu-µs/op")
	b.ReportMetric(c.calls/float64(ops), "cmds/op")
}

func fill(b *testing.B, q *queue.Queue, n int) {
	b.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		ts := make([]queue.NewTask, 0, 1000)
		for j := i; j < min(i+1000, n); j++ {
			ts = append(ts, queue.NewTask{Name: "noop", Payload: []byte(`{}`)})
		}
		if _, err := q.EnqueueBatch(ctx, ts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueue: one task per round trip. Per op = per task.
func BenchmarkEnqueue(b *testing.B) {
	q, rdb := benchQueue(b)
	ctx := context.Background()
	t := queue.NewTask{Name: "photo.jpg", Payload: []byte(`{"filters":"grayscale","input":"photo.jpg"}`)}
	c0 := readCost(b, rdb)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t.ID = ""
		if _, _, err := q.Enqueue(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCost(b, rdb, c0, b.N)
}

// BenchmarkEnqueueBatch: 100 tasks per pipelined round trip. Per op = per task.
func BenchmarkEnqueueBatch(b *testing.B) {
	q, rdb := benchQueue(b)
	ctx := context.Background()
	const batch = 100
	ts := make([]queue.NewTask, batch)
	c0 := readCost(b, rdb)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range ts {
			ts[i] = queue.NewTask{Name: "photo.jpg", Payload: []byte(`{"filters":"grayscale","input":"photo.jpg"}`)}
		}
		if _, err := q.EnqueueBatch(ctx, ts); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.StopTimer()
	reportCost(b, rdb, c0, n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/task")
}

// BenchmarkClaim claims batches (1 = a worker with one free slot, 50 = a worker
// with 50 free slots) and reports per task. Tasks are refilled outside the timer.
func BenchmarkClaim(b *testing.B) {
	for _, batch := range []int{1, 16, 50} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			q, rdb := benchQueue(b)
			ctx := context.Background()
			var cost serverCost
			tasks, left := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				if left < batch {
					b.StopTimer()
					if tasks > 0 {
						cost = cost.plus(readCost(b, rdb))
					}
					// Keep the processing list short, as workers do by acknowledging.
					rdb.Del(ctx, q.Keys().Processing, q.Keys().Leases)
					rdb.Del(ctx, q.Keys().Pending)
					fill(b, q, 10000)
					left = 10000
					cost = cost.minus(readCost(b, rdb))
					b.StartTimer()
				}
				got, err := q.Claim(ctx, "w", batch)
				if err != nil || len(got) != batch {
					b.Fatalf("claim: %d tasks, %v", len(got), err)
				}
				tasks += batch
				left -= batch
			}
			b.StopTimer()
			report(b, cost.plus(readCost(b, rdb)), tasks)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tasks), "ns/task")
		})
	}
}

// BenchmarkFinish acknowledges batches of claimed tasks in one Finish call (the
// worker's ack loop sends up to 64 at once) and reports per task.
func BenchmarkFinish(b *testing.B) {
	for _, batch := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			q, rdb := benchQueue(b)
			ctx := context.Background()
			var (
				held []queue.Claimed
				cost serverCost
			)
			tasks := 0
			b.ReportAllocs()
			for b.Loop() {
				if len(held) < batch {
					b.StopTimer()
					cost = cost.plus(readCost(b, rdb))
					fill(b, q, 16*batch)
					for len(held) < 16*batch {
						got, err := q.Claim(ctx, "w", 50)
						if err != nil {
							b.Fatal(err)
						}
						held = append(held, got...)
					}
					cost = cost.minus(readCost(b, rdb))
					b.StartTimer()
				}
				// Oldest claims first, as they tend to finish: the processing list is
				// scanned from its head, so this is the common, cheap case.
				outs := make([]queue.Outcome, batch)
				for i := range outs {
					outs[i] = queue.Outcome{Worker: "w", Task: held[i], Elapsed: time.Millisecond}
				}
				held = held[batch:]
				for _, err := range q.Finish(ctx, outs) {
					if err != nil {
						b.Fatal(err)
					}
				}
				tasks += batch
			}
			b.StopTimer()
			report(b, cost.plus(readCost(b, rdb)), tasks)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tasks), "ns/task")
		})
	}
}

// BenchmarkStats is the dashboard refresh at several pending lengths and worker
// counts: flat in the queue's length, linear in workers.
func BenchmarkStats(b *testing.B) {
	for _, pending := range []int{0, 100_000, 1_000_000} {
		for _, workers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("pending=%d/workers=%d", pending, workers), func(b *testing.B) {
				q, rdb := benchQueue(b)
				ctx := context.Background()
				for i := range workers {
					w := queue.WorkerInfo{ID: fmt.Sprintf("w%d", i), Instance: "i", Host: "h", PID: i, Concurrency: 1}
					if err := q.Register(ctx, w); err != nil {
						b.Fatal(err)
					}
				}
				// Synthetic ids straight into the list: Stats must never look at them.
				for i := 0; i < pending; i += 10000 {
					_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
						for j := i; j < min(i+10000, pending); j += 1000 {
							ids := make([]any, 0, 1000)
							for k := j; k < min(j+1000, pending); k++ {
								ids = append(ids, "task-"+strconv.Itoa(k))
							}
							p.RPush(ctx, q.Keys().Pending, ids...)
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				c0 := readCost(b, rdb)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					s, err := q.Stats(ctx)
					if err != nil || s.Pending != int64(pending) {
						b.Fatalf("stats: %d pending, %v", s.Pending, err)
					}
				}
				b.StopTimer()
				reportCost(b, rdb, c0, b.N)
			})
		}
	}
}
