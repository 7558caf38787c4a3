package metrics_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/metrics"
	"github.com/imgq/imgq/queue"
)

// Every imgq_ metric that docs/METRICS.md and the Grafana dashboard name
// exists, and METRICS.md lists every one there is.
func TestDocsNameRealMetrics(t *testing.T) {
	_, rdb := newQueue(t)
	// Sharded, so that the per-shard series exist too.
	q, err := queue.New(rdb, queue.Options{Name: "mq", Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(q, metrics.Options{})
	now := time.Now()
	m.ObserveClaim(queue.Claimed{CreatedAt: now.Add(-time.Second), ClaimedAt: now})
	m.ObserveOutcome(queue.Outcome{Elapsed: time.Millisecond})
	// A registered worker, so that the per-worker series exist.
	if err := q.Register(context.Background(), queue.WorkerInfo{ID: "w", Instance: "i", Host: "h", PID: 1, Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	real := map[string]bool{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "imgq_") {
			real[mf.GetName()] = true
		}
	}
	name := regexp.MustCompile(`imgq_[a-z_]+`)
	for _, doc := range []string{"../../docs/METRICS.md", "../../docs/grafana-imgq.json"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, n := range name.FindAllString(string(b), -1) {
			n = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
			named[n] = true
			if !real[n] {
				t.Errorf("%s names %s, which imgq does not export", doc, n)
			}
		}
		if strings.HasSuffix(doc, ".md") {
			for n := range real {
				if !named[n] {
					t.Errorf("%s does not describe %s", doc, n)
				}
			}
		}
	}
}

// A sharded queue's per-shard depths are exported, one series per shard and
// list, and add up to the queue's.
func TestShardTasksAddUp(t *testing.T) {
	_, rdb := newQueue(t)
	q, err := queue.New(rdb, queue.Options{Name: "mq", Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := q.EnqueueBatch(ctx, make([]queue.NewTask, 7)); err != nil {
		t.Fatal(err)
	}
	mfs, err := metrics.New(q, metrics.Options{}).Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	shards := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "imgq_shard_tasks" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["list"] == "pending" {
				shards[labels["shard"]] += m.GetGauge().GetValue()
			}
		}
	}
	sum := 0.0
	for _, v := range shards {
		sum += v
	}
	if len(shards) != 3 || sum != 7 {
		t.Fatalf("imgq_shard_tasks pending: %v, want 3 shards adding up to 7", shards)
	}
}
