package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/metrics"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

func newQueue(t *testing.T) (*queue.Queue, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	q, err := queue.New(rdb, queue.Options{Name: "mq"})
	if err != nil {
		t.Fatal(err)
	}
	return q, rdb
}

// scrape GETs /metrics and parses it.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse scrape: %v\n%s", err, body)
	}
	return mfs
}

// value finds the sample of family name whose labels include want; for a
// histogram it is the sample count.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no %s in the scrape", name)
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no %s%v in the scrape", name, want)
	return 0
}

// serve serves m on a free loopback port until the test ends.
func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := srv.Wait(); err != nil {
			t.Error(err)
		}
	})
	return srv.Addr().String()
}

// runWorker runs a worker observed by m; stop ends it and waits for it (the
// test's end does too, if it fails first).
func runWorker(t *testing.T, q *queue.Queue, m *metrics.Metrics, cfg workers.Config) (stop func()) {
	t.Helper()
	m.Observe(&cfg)
	w, err := workers.New(q, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(stop)
	return stop
}

// The endpoint's values move with work: enqueue N, then run a worker.
func TestScrapeMovesWithWork(t *testing.T) {
	q, _ := newQueue(t)
	m := metrics.New(q, metrics.Options{CacheFor: time.Millisecond})
	ctx := context.Background()
	addr := serve(t, m)
	lbl := map[string]string{"queue": "mq"}

	mfs := scrape(t, addr)
	if v := value(t, mfs, "imgq_up", lbl); v != 1 {
		t.Fatalf("imgq_up %v", v)
	}
	if v := value(t, mfs, "imgq_queue_oldest_pending_age_seconds", lbl); v != 0 {
		t.Fatalf("empty queue: oldest age %v", v)
	}

	blur := map[string]string{"filter": "blur", "outcome": "completed"}
	if v := value(t, mfs, "imgq_filter_tasks_total", blur); v != 0 {
		t.Fatalf("filter_tasks_total%v %v before any work, want 0", blur, v)
	}

	const n = 5
	tasks := make([]queue.NewTask, n)
	for i := range tasks {
		tasks[i] = queue.NewTask{Name: fmt.Sprint(i), Payload: []byte("{}")}
	}
	if _, err := q.EnqueueBatch(ctx, tasks); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	mfs = scrape(t, addr)
	if v := value(t, mfs, "imgq_queue_tasks", map[string]string{"list": "pending"}); v != n {
		t.Fatalf("pending %v, want %d", v, n)
	}
	if v := value(t, mfs, "imgq_queue_oldest_pending_age_seconds", lbl); v <= 0 {
		t.Fatalf("oldest pending age %v, want > 0", v)
	}
	if v := value(t, mfs, "imgq_tasks_enqueued_total", lbl); v != n {
		t.Fatalf("enqueued_total %v, want %d", v, n)
	}

	cfg := workers.Config{ID: "mw", Concurrency: 2, Handler: func(context.Context, queue.Claimed) ([]byte, error) {
		time.Sleep(2 * time.Millisecond)
		return []byte("{}"), nil
	}}
	stopWorker := runWorker(t, q, m, cfg)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mfs = scrape(t, addr)
		if value(t, mfs, "imgq_tasks_completed_total", lbl) == n &&
			value(t, mfs, "imgq_task_duration_seconds", map[string]string{"outcome": "completed"}) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for completed_total and the duration count to reach", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, want := range map[string]float64{
		"pending": 0, "processing": 0, "completed": n,
	} {
		if v := value(t, mfs, "imgq_queue_tasks", map[string]string{"list": name}); v != want {
			t.Errorf("list %s: %v, want %v", name, v, want)
		}
	}
	if v := value(t, mfs, "imgq_queue_oldest_pending_age_seconds", lbl); v != 0 {
		t.Errorf("oldest pending age %v after the work, want 0", v)
	}
	if v := value(t, mfs, "imgq_task_pickup_latency_seconds", lbl); v != n {
		t.Errorf("pickup latency count %v, want %d", v, n)
	}
	if v := value(t, mfs, "imgq_worker_tasks_total", map[string]string{"worker": "mw", "outcome": "completed"}); v != n {
		t.Errorf("worker_tasks_total{mw,completed} %v, want %d", v, n)
	}
	// "{}" is a job with the course's pipeline: brightness, blur, grayscale.
	for _, f := range []string{"brightness", "blur", "grayscale"} {
		if v := value(t, mfs, "imgq_filter_tasks_total", map[string]string{"filter": f, "outcome": "completed"}); v != n {
			t.Errorf("filter_tasks_total{%s,completed} %v, want %d", f, v, n)
		}
	}
	if v := value(t, mfs, "imgq_filter_tasks_total", map[string]string{"filter": "invert", "outcome": "completed"}); v != 0 {
		t.Errorf("filter_tasks_total{invert,completed} %v, want 0 (not in the pipeline)", v)
	}
	if v := value(t, mfs, "imgq_workers", map[string]string{"state": "idle"}) + value(t, mfs, "imgq_workers", map[string]string{"state": "busy"}); v != 1 {
		t.Errorf("workers idle+busy %v, want 1", v)
	}
	stopWorker()

	// The names and help texts follow Prometheus' conventions.
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "imgq_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

// Failed attempts move the per-filter and per-worker failure counters: each
// task fails twice with two attempts allowed, so one retry and one dead letter.
func TestScrapeCountsFailuresPerFilterAndWorker(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q, err := queue.New(srv.Client(t), queue.Options{Name: "mq", BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(q, metrics.Options{CacheFor: time.Millisecond})
	ctx := context.Background()
	addr := serve(t, m)
	const n = 3
	tasks := make([]queue.NewTask, n)
	for i := range tasks {
		tasks[i] = queue.NewTask{Name: fmt.Sprint(i), Payload: []byte(`{"filters":"invert, blur:1, invert"}`), MaxAttempts: 2}
	}
	if _, err := q.EnqueueBatch(ctx, tasks); err != nil {
		t.Fatal(err)
	}
	cfg := workers.Config{ID: "fw", Concurrency: 2, Heartbeat: 50 * time.Millisecond,
		Handler: func(context.Context, queue.Claimed) ([]byte, error) {
			return nil, errors.New("no luck")
		}}
	stopWorker := runWorker(t, q, m, cfg)
	lbl := map[string]string{"queue": "mq"}
	deadline := time.Now().Add(30 * time.Second)
	var mfs map[string]*dto.MetricFamily
	for {
		mfs = scrape(t, addr)
		if value(t, mfs, "imgq_tasks_failed_total", lbl) == n &&
			value(t, mfs, "imgq_filter_tasks_total", map[string]string{"filter": "invert", "outcome": "dead"}) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for", n, "dead letters")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWorker()
	mfs = scrape(t, addr)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		// invert twice in one pipeline counts once per attempt.
		{"imgq_filter_tasks_total", map[string]string{"filter": "invert", "outcome": "retried"}, n},
		{"imgq_filter_tasks_total", map[string]string{"filter": "invert", "outcome": "dead"}, n},
		{"imgq_filter_tasks_total", map[string]string{"filter": "blur", "outcome": "retried"}, n},
		{"imgq_filter_tasks_total", map[string]string{"filter": "blur", "outcome": "completed"}, 0},
		{"imgq_filter_tasks_total", map[string]string{"filter": "grayscale", "outcome": "dead"}, 0},
		{"imgq_worker_tasks_total", map[string]string{"worker": "fw", "outcome": "failed"}, 2 * n},
		{"imgq_worker_failures_total", map[string]string{"worker": "fw", "fate": "retried"}, n},
		{"imgq_worker_failures_total", map[string]string{"worker": "fw", "fate": "dead"}, n},
	} {
		if v := value(t, mfs, c.name, c.labels); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
}

// countHook counts the scripts and pipelines sent to Redis.
type countHook struct{ stats, pipelines atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "evalsha" || cmd.Name() == "eval" {
			h.stats.Add(1) // the stats script: the only script a scrape runs
		}
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "time" {
			h.pipelines.Add(1) // Queue.OldestPending's first (not a connection's handshake)
		}
		return next(ctx, cmds)
	}
}

// Scrapes within CacheFor share one read of Redis.
func TestScrapesShareOneReadPerInterval(t *testing.T) {
	q, rdb := newQueue(t)
	// Warm up: the one-time probe of the server's script support.
	if _, err := q.Stats(context.Background()); err != nil {
		t.Fatal(err)
	}
	var h countHook
	rdb.AddHook(&h)
	m := metrics.New(q, metrics.Options{CacheFor: time.Hour})
	for range 10 {
		if n := testutil.CollectAndCount(m.Registry(), "imgq_queue_tasks"); n != 7 {
			t.Fatalf("%d imgq_queue_tasks series, want 7", n)
		}
	}
	// Stats (one script, the queue latency in it) and no OldestPending pipeline.
	if s, p := h.stats.Load(), h.pipelines.Load(); s != 1 || p != 0 {
		t.Fatalf("10 scrapes ran the stats script %d times and %d pipelines, want 1 and 0", s, p)
	}
}

// A scrape while Redis is unreachable says so in imgq_up and still succeeds.
func TestScrapeWithRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	q, err := queue.New(rdb, queue.Options{Name: "down"})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(q, metrics.Options{})
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP imgq_up 1 when the last read of the queue from Redis succeeded, else 0 (and no other imgq_ queue figure is reported).
# TYPE imgq_up gauge
imgq_up{queue="down"} 0
`), "imgq_up", "imgq_queue_tasks"); err != nil {
		t.Fatal(err)
	}
}
