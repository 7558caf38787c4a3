package redisconn_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
)

// The embedded server is the zero-setup default, so the queue must really work
// on it: scripts, blocking waits, stats, and time passing (leases and TTLs).
// These tests are about imgq's embedded mode, not about Redis.
func TestEmbeddedModeRunsTheQueue(t *testing.T) {
	ctx := context.Background()
	conn, err := redisconn.Connect(ctx, redisconn.Options{URL: redisconn.Embedded})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.Embedded == nil {
		t.Fatal("not embedded")
	}
	q, err := queue.New(conn.Client, queue.Options{Name: "emb", Lease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.LoadScripts(ctx); err != nil {
		t.Fatal(err)
	}
	woke := make(chan bool, 1)
	go func() { ok, _ := q.WaitForWork(ctx, 5*time.Second); woke <- ok }()
	time.Sleep(50 * time.Millisecond)
	if _, err := q.EnqueueBatch(ctx, []queue.NewTask{{ID: "task-a", Payload: []byte("{}")}, {ID: "task-b", Payload: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	if !<-woke {
		t.Fatal("blocking wait did not wake on enqueue")
	}
	a, err := q.Claim(ctx, "w", 1)
	if err != nil || len(a) != 1 {
		t.Fatalf("claim: %v %v", a, err)
	}
	// Leases lapse as wall-clock time passes (miniredis needs the clock we run).
	time.Sleep(600 * time.Millisecond)
	m, err := q.Maintain(ctx)
	if err != nil || m.Recovered != 1 {
		t.Fatalf("maintain on embedded: %+v %v", m, err)
	}
	// miniredis cannot compile a "#!lua flags=allow-oom" first line: the queue
	// finds that out and runs the plain scripts (the housekeeping lock included).
	if _, elected, err := q.Housekeep(ctx, time.Second); err != nil || !elected {
		t.Fatalf("housekeep on embedded: elected %v, %v", elected, err)
	}
	if _, elected, err := q.Housekeep(ctx, time.Second); err != nil || elected {
		t.Fatalf("second housekeep within the period: elected %v, %v", elected, err)
	}
	if err := q.Complete(ctx, "w", a[0], nil, 0); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("stale ack: %v", err)
	}
	got, _ := q.Claim(ctx, "w2", 2)
	if len(got) != 2 {
		t.Fatalf("reclaim: %d", len(got))
	}
	for _, c := range got {
		if err := q.Complete(ctx, "w2", c, []byte(`{}`), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	s, err := q.Stats(ctx)
	if err != nil || s.Totals.Completed != 2 || s.Completed != 2 {
		t.Fatalf("stats: %+v %v", s, err)
	}
	evs, err := q.LastEvents(ctx, 50)
	if err != nil || len(evs) < 6 {
		t.Fatalf("events: %d %v", len(evs), err)
	}
	// Finished task hashes expire by retention.
	deadline := time.Now().Add(3 * time.Second)
	for conn.Client.Exists(ctx, "emb:task:task-a").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("completed task hash never expired on the embedded server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := q.Flush(ctx); err != nil || n == 0 {
		t.Fatalf("flush: %d %v", n, err)
	}
}

func TestEmbeddedRequiresPasswordWhenShared(t *testing.T) {
	ctx := context.Background()
	conn, err := redisconn.Connect(ctx, redisconn.Options{URL: redisconn.Embedded, Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = redisconn.Connect(ctx, redisconn.Options{URL: "redis://" + conn.Embedded.Addr + "/0"})
	if !errors.Is(err, redisconn.ErrAuth) {
		t.Fatalf("no password: %v, want ErrAuth", err)
	}
	c2, err := redisconn.Connect(ctx, redisconn.Options{URL: "redis://:s3cret@" + conn.Embedded.Addr + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

// Without --share the embedded server listens on loopback only; with it, on
// every interface, and only with the password.
func TestEmbeddedListensBeyondLoopbackOnlyWhenShared(t *testing.T) {
	ctx := context.Background()
	private, err := redisconn.Connect(ctx, redisconn.Options{URL: redisconn.Embedded})
	if err != nil {
		t.Fatal(err)
	}
	defer private.Close()
	if host, _, _ := net.SplitHostPort(private.Embedded.M.Addr()); host != "127.0.0.1" {
		t.Fatalf("private embedded server listens on %s", private.Embedded.M.Addr())
	}
	shared, err := redisconn.Connect(ctx, redisconn.Options{URL: redisconn.Embedded, BindAll: true, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	if host, _, _ := net.SplitHostPort(shared.Embedded.M.Addr()); !net.ParseIP(host).IsUnspecified() {
		t.Fatalf("shared embedded server listens on %s, want every interface", shared.Embedded.M.Addr())
	}
	if _, err := redisconn.Connect(ctx, redisconn.Options{URL: "redis://" + shared.Embedded.Addr + "/0"}); !errors.Is(err, redisconn.ErrAuth) {
		t.Fatalf("shared server without the password: %v", err)
	}
}
