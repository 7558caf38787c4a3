package workers_test

// End-to-end benchmark of the worker loop: a worker with 50 slots and a no-op
// handler drains pre-filled tasks (claim up to free slots, run, batched acks).
// Per op = per task. Besides ns/op it reports tasks/s and the redis-server's CPU
// per task (from /proc), which is what limits many workers on one Redis.
//
//	go test -run '^$' -bench Worker -benchmem ./workers/

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

func BenchmarkWorkerNoop(b *testing.B) {
	for _, conc := range []int{1, 50} {
		b.Run(fmt.Sprintf("slots=%d", conc), func(b *testing.B) {
			srv := redistest.Start(b, redistest.Options{})
			rdb := srv.Client(b)
			ctx := context.Background()
			q, err := queue.New(rdb, queue.Options{Name: "wb"})
			if err != nil {
				b.Fatal(err)
			}
			if err := q.LoadScripts(ctx); err != nil {
				b.Fatal(err)
			}
			n := b.N
			for i := 0; i < n; i += 1000 {
				ts := make([]queue.NewTask, 0, 1000)
				for j := i; j < min(i+1000, n); j++ {
					ts = append(ts, queue.NewTask{Name: "noop", Payload: []byte(`{}`)})
				}
				if _, err := q.EnqueueBatch(ctx, ts); err != nil {
					b.Fatal(err)
				}
			}
			pid := redisPID(b, rdb.Info(ctx, "server").Val())
			cpu0 := procCPU(pid)
			calls0 := evalCalls(rdb.Info(ctx, "commandstats").Val())
			w, err := workers.New(q, workers.Config{ID: "bench", Concurrency: conc, Grace: time.Second,
				Handler: func(context.Context, queue.Claimed) ([]byte, error) { return nil, nil }})
			if err != nil {
				b.Fatal(err)
			}
			wctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			wg.Add(1)
			go func() { defer wg.Done(); _ = w.Run(wctx) }()
			for {
				v, _ := rdb.HGet(ctx, q.Keys().Stats, "completed").Int()
				if v >= n {
					break
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cpu1 := procCPU(pid)
			calls1 := evalCalls(rdb.Info(ctx, "commandstats").Val())
			cancel()
			wg.Wait()
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tasks/s")
			// Script calls (claims and ack batches) per task: 1/this is the mean batch.
			b.ReportMetric(float64(calls1-calls0)/float64(n), "scripts/op")
			if pid > 0 {
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(n), "redis-cpu-µs/op")
			}
		})
	}
}

func redisPID(b *testing.B, info string) int {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			return pid
		}
	}
	return 0
}

// evalCalls is the number of EVALSHA calls in INFO commandstats.
func evalCalls(info string) int64 {
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_evalsha:calls="); ok {
			v, _, _ := strings.Cut(rest, ",")
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// procCPU is a process's user+system CPU time from /proc (10 ms resolution).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
