// Package metrics turns successive queue.Stats snapshots into what the dashboard
// plots: each depth over the last minute, throughput now, and per worker its
// rate, utilisation and rate history. Every timestamp is the snapshot's own
// (Redis TIME), so a slow refresh never distorts a rate and tests are exact.
package metrics

import (
	"math"
	"time"

	"github.com/imgq/imgq/queue"
)

// Window is how far back the sparklines reach.
const Window = time.Minute

// RateWindow is the span a "now" rate is measured over: long enough that one
// 250 ms refresh holding 0 or 1 completion does not make the number flicker.
const RateWindow = 5 * time.Second

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is a time series trimmed to Window.
type Series struct{ pts []Point }

// Add appends a sample and forgets those older than Window before it.
func (s *Series) Add(t time.Time, v float64) {
	s.pts = append(s.pts, Point{t, v})
	cut := 0
	for cut < len(s.pts)-1 && t.Sub(s.pts[cut].T) > Window+RateWindow {
		cut++
	}
	if cut > 0 {
		s.pts = append(s.pts[:0], s.pts[cut:]...)
	}
}

// Last is the newest value (0 when empty).
func (s *Series) Last() float64 {
	if s == nil || len(s.pts) == 0 {
		return 0
	}
	return s.pts[len(s.pts)-1].V
}

// Len is the number of samples held.
func (s *Series) Len() int {
	if s == nil {
		return 0
	}
	return len(s.pts)
}

// Buckets splits [now-Window, now] into n equal buckets, each the maximum of
// its samples (a spike shorter than a bucket still shows). A bucket without
// samples carries the previous value; before the first sample it is NaN, drawn
// blank, so a dashboard opened a second ago does not pretend to a flat history.
func (s *Series) Buckets(now time.Time, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	if s == nil || n <= 0 {
		return out
	}
	start := now.Add(-Window)
	step := Window / time.Duration(n)
	carry := math.NaN()
	j := 0
	for j < len(s.pts) && s.pts[j].T.Before(start) {
		carry = s.pts[j].V
		j++
	}
	for i := range n {
		end := start.Add(step * time.Duration(i+1))
		v := math.NaN()
		for j < len(s.pts) && !s.pts[j].T.After(end) {
			if math.IsNaN(v) || s.pts[j].V > v {
				v = s.pts[j].V
			}
			carry = s.pts[j].V
			j++
		}
		if math.IsNaN(v) {
			v = carry
		}
		out[i] = v
	}
	return out
}

// rateOver is the slope of a cumulative series over about RateWindow.
func rateOver(pts []Point) float64 {
	if len(pts) < 2 {
		return 0
	}
	last := pts[len(pts)-1]
	first := pts[0]
	for _, p := range pts {
		if last.T.Sub(p.T) <= RateWindow {
			break
		}
		first = p
	}
	dt := last.T.Sub(first.T).Seconds()
	if dt <= 0 {
		return 0
	}
	// Over less than a second, two samples 50 ms apart would turn one task
	// into "20 tasks/s": divide by at least a second.
	return math.Max(last.V-first.V, 0) / math.Max(dt, 1)
}

// Depth names, in the order the queues pane shows them.
var Depths = []string{"high", "normal", "low", "pending", "processing", "retry", "completed", "failed"}

// Tracker accumulates snapshots. It is owned by the root model and only touched
// in Update.
type Tracker struct {
	Last    queue.Stats
	depth   map[string]*Series
	done    Series // cumulative finished tasks (completed + dead-lettered)
	through Series // throughput samples, for the header's sparkline
	workers map[string]*worker
}

type worker struct {
	done, busy Series // cumulative
	rates      Series
	rate, util float64
}

// New returns an empty tracker.
func New() *Tracker {
	t := &Tracker{depth: map[string]*Series{}, workers: map[string]*worker{}}
	for _, d := range Depths {
		t.depth[d] = &Series{}
	}
	return t
}

// Observe records a snapshot.
func (t *Tracker) Observe(s queue.Stats) {
	at := s.At
	if !t.Last.At.IsZero() && at.Before(t.Last.At) {
		return // an older snapshot, overtaken by a newer one
	}
	if !t.Last.At.IsZero() && at.Equal(t.Last.At) {
		// Read in the same millisecond (Redis TIME is kept in ms) but later: its
		// values are the newer ones (a switch just flipped), while the histories
		// have no room for a second point at one instant.
		t.Last = s
		return
	}
	vals := map[string]int64{
		"high": s.PendingHigh, "normal": s.Pending, "low": s.PendingLow, "pending": s.PendingTotal(),
		"processing": s.Processing, "retry": s.Retry, "completed": s.Completed, "failed": s.Failed,
	}
	for k, v := range vals {
		t.depth[k].Add(at, float64(v))
	}
	fin := float64(s.Totals.Completed + s.Totals.Failed)
	if fin < t.done.Last() {
		t.done = Series{} // counters went back: the queue was flushed
	}
	t.done.Add(at, fin)
	t.through.Add(at, rateOver(t.done.pts))

	seen := make(map[string]bool, len(s.Workers))
	for _, ws := range s.Workers {
		seen[ws.ID] = true
		w := t.workers[ws.ID]
		if w == nil {
			w = &worker{}
			t.workers[ws.ID] = w
		}
		d := float64(ws.Processed + ws.Failed)
		// Busy only grows when a task ends; counting the running task's time
		// makes utilisation rise while a long task runs instead of jumping later.
		b := ws.Busy
		if ws.Current != "" {
			b += ws.CurrentFor
		}
		if d < w.done.Last() {
			*w = worker{} // the worker restarted under the same id
		}
		w.done.Add(at, d)
		w.busy.Add(at, b.Seconds())
		w.rate = rateOver(w.done.pts)
		conc := float64(max(ws.Concurrency, 1))
		w.util = math.Min(rateOver(w.busy.pts)/conc, 1)
		w.rates.Add(at, w.rate)
	}
	for id := range t.workers {
		if !seen[id] {
			delete(t.workers, id)
		}
	}
	t.Last = s
}

// Depth is the history of one depth (see Depths).
func (t *Tracker) Depth(name string) *Series { return t.depth[name] }

// Throughput is finished tasks per second now.
func (t *Tracker) Throughput() float64 { return t.through.Last() }

// ThroughputSeries is the throughput history.
func (t *Tracker) ThroughputSeries() *Series { return &t.through }

// Drain is how long the pending work takes at the current throughput; ok is
// false when nothing is being finished (it would never drain at this rate).
func (t *Tracker) Drain() (time.Duration, bool) {
	p := t.Last.PendingTotal() + t.Last.Retry + t.Last.Processing
	if p == 0 {
		return 0, true
	}
	r := t.Throughput()
	if r <= 0 {
		return 0, false
	}
	return time.Duration(float64(p) / r * float64(time.Second)), true
}

// Worker returns a worker's rate now (tasks/s), utilisation (0..1) and rate history.
func (t *Tracker) Worker(id string) (rate, util float64, hist *Series) {
	w := t.workers[id]
	if w == nil {
		return 0, 0, nil
	}
	return w.rate, w.util, &w.rates
}
