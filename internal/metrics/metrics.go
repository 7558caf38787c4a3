// Package metrics exposes a queue and the workers of one process to Prometheus
// (docs/METRICS.md): queue-wide figures read from Redis at scrape time by a
// custom collector, and histograms the process's own workers observe through
// workers.Config.OnClaim and OnOutcome. The queue and workers packages know
// nothing of Prometheus; the wiring is here.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// Options tune the metrics of one process.
type Options struct {
	// CacheFor is how long one read of Redis answers scrapes, so that many
	// scrapers (or a short scrape interval) do not multiply the load on Redis.
	// 0: DefaultCacheFor.
	CacheFor time.Duration
}

// DefaultCacheFor is Options.CacheFor's default.
const DefaultCacheFor = time.Second

// Outcome label values of imgq_task_duration_seconds and imgq_worker_tasks_total,
// and (completed, retried, dead) of imgq_filter_tasks_total; retried and dead
// are also the fate label values of imgq_worker_failures_total.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"  // a failed attempt: retried later, or dead-lettered
	OutcomeRetried   = "retried" // a failed attempt scheduled for another try
	OutcomeDead      = "dead"    // a failed attempt that dead-lettered its task
)

// Buckets of the duration and pickup-latency histograms, in seconds: from a
// millisecond (a small filter on a warm worker) to five minutes (the default
// task time limit).
var Buckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Metrics is the registry of one process: the queue collector, the workers'
// histograms and Go's runtime and process metrics.
type Metrics struct {
	reg      *prometheus.Registry
	queue    string
	duration *prometheus.HistogramVec
	pickup   *prometheus.HistogramVec
	filters  *prometheus.CounterVec
}

// New returns the metrics of queue q, registered and ready to serve.
func New(q *queue.Queue, opts Options) *Metrics {
	if opts.CacheFor <= 0 {
		opts.CacheFor = DefaultCacheFor
	}
	m := &Metrics{
		reg:   prometheus.NewRegistry(),
		queue: q.Name(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "imgq", Name: "task_duration_seconds",
			Help:    "Time a task's handler ran, per attempt, observed by this process's workers.",
			Buckets: Buckets,
		}, []string{"queue", "outcome"}),
		pickup: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "imgq", Name: "task_pickup_latency_seconds",
			Help:    "Time from a task's enqueue to its claim by this process's workers (Redis clock).",
			Buckets: Buckets,
		}, []string{"queue"}),
		filters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "imgq", Name: "filter_tasks_total",
			Help: "Attempts this process's workers finished, per filter of the task's pipeline and outcome (completed, retried or dead).",
		}, []string{"queue", "filter", "outcome"}),
	}
	// Every known filter and outcome from the start (0), so rates and graphs
	// do not miss a series until its first task; no other filter label exists.
	for _, f := range pipeline.Filters() {
		for _, o := range []string{OutcomeCompleted, OutcomeRetried, OutcomeDead} {
			m.filters.WithLabelValues(m.queue, f.Name, o)
		}
	}
	m.reg.MustRegister(
		newQueueCollector(q, opts.CacheFor),
		m.duration, m.pickup, m.filters,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is where the metrics live, for tests and for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus' formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Observe sets cfg's OnClaim and OnOutcome to feed the histograms, keeping
// any hooks already there.
func (m *Metrics) Observe(cfg *workers.Config) {
	prevClaim, prevOutcome := cfg.OnClaim, cfg.OnOutcome
	cfg.OnClaim = func(c queue.Claimed) {
		m.ObserveClaim(c)
		if prevClaim != nil {
			prevClaim(c)
		}
	}
	cfg.OnOutcome = func(o queue.Outcome) {
		m.ObserveOutcome(o)
		if prevOutcome != nil {
			prevOutcome(o)
		}
	}
}

// ObserveClaim records a claim's pickup latency (ClaimedAt - CreatedAt; both
// by Redis' clock). A task without a creation time (a foreign record) is
// skipped, as is a negative latency.
func (m *Metrics) ObserveClaim(c queue.Claimed) {
	if c.CreatedAt.IsZero() || c.ClaimedAt.IsZero() {
		return
	}
	if d := c.ClaimedAt.Sub(c.CreatedAt); d >= 0 {
		m.pickup.WithLabelValues(m.queue).Observe(d.Seconds())
	}
}

// ObserveOutcome records a recorded outcome's handler time, and counts it
// once for each filter of the task's pipeline.
func (m *Metrics) ObserveOutcome(o queue.Outcome) {
	outcome := OutcomeCompleted
	if o.Err != nil {
		outcome = OutcomeFailed
	}
	m.duration.WithLabelValues(m.queue, outcome).Observe(max(o.Elapsed, 0).Seconds())
	m.countFilters(o)
}

// countFilters adds one to imgq_filter_tasks_total for each distinct filter
// of o's pipeline. Task data that is not an imgq job (a hand-written record)
// names no filter and is not counted; a job's filters passed pipeline.Parse,
// so the label only takes known filter names.
func (m *Metrics) countFilters(o queue.Outcome) {
	_, spec, err := workers.DecodeJob(o.Task.Payload)
	if err != nil {
		return
	}
	outcome := failFate(o)
	seen := make(map[string]bool, len(spec))
	for _, st := range spec {
		if !seen[st.Name] {
			seen[st.Name] = true
			m.filters.WithLabelValues(m.queue, st.Name, outcome).Inc()
		}
	}
}

// failFate is what the fail script does with an outcome (fail.lua): a
// permanent error or the last attempt dead-letters the task, any other
// failure schedules a retry.
func failFate(o queue.Outcome) string {
	switch {
	case o.Err == nil:
		return OutcomeCompleted
	case queue.IsPermanent(o.Err) || o.Task.Attempt >= o.Task.MaxAttempts:
		return OutcomeDead
	default:
		return OutcomeRetried
	}
}
