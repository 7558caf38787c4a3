package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// primaryReplica starts a redis-server and a replica of it, and waits until the
// replica is in sync. It returns clients on both.
func primaryReplica(tb testing.TB) (primary, replica *redis.Client) {
	tb.Helper()
	// No diskless-sync delay: the replica syncs at once, not after 5s.
	p := redistest.Start(tb, redistest.Options{Args: []string{"--repl-diskless-sync-delay", "0"}})
	r := redistest.Start(tb, redistest.Options{Args: []string{"--replicaof", "127.0.0.1", fmt.Sprint(p.Port)}})
	primary, replica = p.Client(tb), r.Client(tb)
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := replica.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return primary, replica
		}
		if time.Now().After(deadline) {
			tb.Fatalf("replica never synced: %v\n%s", err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func durableQueue(tb testing.TB, rdb *redis.Client, timeout time.Duration) *queue.Queue {
	tb.Helper()
	q, err := queue.New(rdb, queue.Options{Name: "d", Durable: true, DurableTimeout: timeout, WorkerTimeout: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	if err := q.LoadScripts(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return q
}

// A durable queue's enqueue and acknowledgement return only once the replica
// has them: read from the replica right after, they are there.
func TestDurableWaitsForTheReplica(t *testing.T) {
	ctx := context.Background()
	primary, replica := primaryReplica(t)
	q := durableQueue(t, primary, 5*time.Second)
	k := q.Keys()

	id, created, err := q.Enqueue(ctx, queue.NewTask{Name: "one", Payload: []byte(`{}`)})
	if err != nil || !created {
		t.Fatalf("enqueue: created=%v err=%v", created, err)
	}
	if n := replica.Exists(ctx, k.Task(id)).Val(); n != 1 {
		t.Fatalf("the replica lacks %s right after a durable enqueue", id)
	}
	ids, err := q.EnqueueBatch(ctx, []queue.NewTask{{Name: "a", Payload: []byte(`{}`)}, {Name: "b", Payload: []byte(`{}`)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if replica.Exists(ctx, k.Task(id)).Val() != 1 {
			t.Fatalf("the replica lacks %s right after a durable batch enqueue", id)
		}
	}

	w := register(t, q, "w1")
	got, err := q.Claim(ctx, w.ID, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim: %d tasks, %v", len(got), err)
	}
	outs := []queue.Outcome{
		{Worker: w.ID, Task: got[0], Result: []byte(`{}`)},
		{Worker: w.ID, Task: got[1], Result: []byte(`{}`)},
		{Worker: w.ID, Task: got[2], Err: queue.Permanent(errors.New("bad input"))},
	}
	for i, err := range q.Finish(ctx, outs) {
		if err != nil {
			t.Fatalf("finish %d: %v", i, err)
		}
	}
	done := replica.LRange(ctx, k.Completed, 0, -1).Val()
	failed := replica.LRange(ctx, k.Failed, 0, -1).Val()
	if len(done) != 2 || len(failed) != 1 {
		t.Fatalf("replica right after a durable finish: completed %v, failed %v", done, failed)
	}
}

// Without a replica to confirm them, a durable queue's enqueues and
// acknowledgements fail with ErrNotReplicated (the write is on the master, and
// could be lost in a failover), and say so.
func TestDurableWithoutReplicaFails(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	q := durableQueue(t, rdb, 20*time.Millisecond)

	_, _, err := q.Enqueue(ctx, queue.NewTask{Name: "one", Payload: []byte(`{}`)})
	if !errors.Is(err, queue.ErrNotReplicated) || !strings.Contains(err.Error(), "0 of 1 replica") {
		t.Fatalf("enqueue with no replica: %v, want ErrNotReplicated", err)
	}
	res, err := q.EnqueueBatchResults(ctx, []queue.NewTask{{Name: "a", Payload: []byte(`{}`)}})
	var be *queue.BatchError
	if !errors.As(err, &be) || !errors.Is(res[0].Err, queue.ErrNotReplicated) {
		t.Fatalf("batch with no replica: %v", err)
	}

	w := register(t, q, "w1")
	c := claimOne(t, q, w.ID)
	if err := q.Complete(ctx, w.ID, c, []byte(`{}`), time.Millisecond); !errors.Is(err, queue.ErrNotReplicated) {
		t.Fatalf("complete with no replica: %v, want ErrNotReplicated", err)
	}
	// The completion is on the master all the same, and a resent ack is taken
	// as done (not run twice), but still not confirmed.
	if n := rdb.LLen(ctx, q.Keys().Completed).Val(); n != 1 {
		t.Fatalf("completed on the master: %d, want 1", n)
	}
	if err := q.Complete(ctx, w.ID, c, []byte(`{}`), time.Millisecond); !errors.Is(err, queue.ErrNotReplicated) {
		t.Fatalf("complete again: %v, want ErrNotReplicated", err)
	}
	if n := rdb.LLen(ctx, q.Keys().Completed).Val(); n != 1 {
		t.Fatalf("completed on the master after a resent ack: %d, want 1", n)
	}
}

// BenchmarkDurable measures what --durable costs: enqueue a batch, claim it
// and complete it, on a primary with one replica, with and without WAIT.
//
//	go test -run '^$' -bench Durable ./queue/
func BenchmarkDurable(b *testing.B) {
	for _, durable := range []bool{false, true} {
		b.Run(fmt.Sprintf("durable=%v", durable), func(b *testing.B) {
			ctx := context.Background()
			primary, _ := primaryReplica(b)
			q, err := queue.New(primary, queue.Options{Name: "d", Durable: durable, WorkerTimeout: time.Hour, CompletedKeep: 1000})
			if err != nil {
				b.Fatal(err)
			}
			if err := q.LoadScripts(ctx); err != nil {
				b.Fatal(err)
			}
			w := queue.WorkerInfo{ID: "w", Instance: "i", Host: "h", PID: 1, Concurrency: 1}
			if err := q.Register(ctx, w); err != nil {
				b.Fatal(err)
			}
			const batch = 50
			ts := make([]queue.NewTask, batch)
			b.ResetTimer()
			for b.Loop() {
				for i := range ts {
					ts[i] = queue.NewTask{Name: "noop", Payload: []byte(`{}`)}
				}
				if _, err := q.EnqueueBatch(ctx, ts); err != nil {
					b.Fatal(err)
				}
				got, err := q.Claim(ctx, w.ID, batch)
				if err != nil {
					b.Fatal(err)
				}
				outs := make([]queue.Outcome, len(got))
				for i, c := range got {
					outs[i] = queue.Outcome{Worker: w.ID, Task: c, Result: []byte(`{}`)}
				}
				for _, err := range q.Finish(ctx, outs) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
