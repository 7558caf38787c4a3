package metrics

import (
	"math"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func snap(sec int, completed int64, w queue.WorkerStat) queue.Stats {
	return queue.Stats{At: t0.Add(time.Duration(sec) * time.Second), Pending: 30,
		Totals: queue.Totals{Completed: completed}, Workers: []queue.WorkerStat{w}}
}

func TestRatesUtilisationAndDrain(t *testing.T) {
	tr := New()
	for s := 0; s <= 10; s++ {
		w := queue.WorkerStat{ID: "w", Concurrency: 1, Processed: int64(2 * s), Busy: time.Duration(s) * 500 * time.Millisecond}
		tr.Observe(snap(s, int64(3*s), w))
	}
	if r := tr.Throughput(); math.Abs(r-3) > 0.01 {
		t.Fatalf("throughput %v, want 3/s", r)
	}
	r, u, h := tr.Worker("w")
	if math.Abs(r-2) > 0.01 || math.Abs(u-0.5) > 0.01 || h.Len() == 0 {
		t.Fatalf("worker rate %v util %v", r, u)
	}
	if d, ok := tr.Drain(); !ok || d != 10*time.Second {
		t.Fatalf("drain %v %v, want 10s", d, ok)
	}
	// A flush sets the counters back: no negative rate, no spike.
	tr.Observe(snap(11, 0, queue.WorkerStat{ID: "w", Concurrency: 1}))
	if tr.Throughput() != 0 {
		t.Fatalf("throughput after a flush %v", tr.Throughput())
	}
	// A worker that left is forgotten.
	tr.Observe(queue.Stats{At: t0.Add(12 * time.Second)})
	if _, _, h := tr.Worker("w"); h != nil {
		t.Fatal("a departed worker is still tracked")
	}
}

func TestBucketsCarryAndBlankBeforeData(t *testing.T) {
	var s Series
	s.Add(t0.Add(-30*time.Second), 5)
	s.Add(t0.Add(-10*time.Second), 9)
	b := s.Buckets(t0, 6) // 10 s buckets
	if !math.IsNaN(b[0]) || !math.IsNaN(b[1]) || b[2] != 5 || b[3] != 5 || b[4] != 9 || b[5] != 9 {
		t.Fatalf("buckets %v", b)
	}
}

// Stats are stamped with Redis TIME in milliseconds, so two reads can share a
// stamp: the later one's values win (a switch just flipped), the histories keep
// one point; an older snapshot that arrives late changes nothing.
func TestSnapshotsOfOneMillisecondAndLateOnes(t *testing.T) {
	tr := New()
	w := queue.WorkerStat{ID: "w", Concurrency: 1}
	tr.Observe(snap(1, 3, w))
	n := tr.Depth("pending").Len()
	again := snap(1, 3, w)
	again.FailRate = 0.2
	tr.Observe(again)
	if tr.Last.FailRate != 0.2 || tr.Depth("pending").Len() != n {
		t.Fatalf("same-ms snapshot: fail rate %v, %d points (want 0.2, %d)", tr.Last.FailRate, tr.Depth("pending").Len(), n)
	}
	late := snap(0, 1, w)
	tr.Observe(late)
	if tr.Last.FailRate != 0.2 || tr.Last.Totals.Completed != 3 {
		t.Fatalf("an older snapshot replaced the newer: %+v", tr.Last)
	}
}
