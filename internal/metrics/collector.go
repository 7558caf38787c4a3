package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imgq/imgq/queue"
)

// scrapeTimeout bounds one read of Redis at scrape time.
const scrapeTimeout = 5 * time.Second

// workerStates are the values of imgq_workers' state label, every one
// reported (0 included) so that graphs do not break when a state empties.
var workerStates = []queue.WorkerState{queue.WorkerIdle, queue.WorkerBusy, queue.WorkerPaused,
	queue.WorkerGone, queue.WorkerStop}

// fateLost is the fate of an attempt whose worker lost it (recovered by
// housekeeping): not an outcome a worker reports, so not one of the Outcome*.
const fateLost = "lost"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName("imgq", "", name), help, append([]string{"queue"}, labels...), nil)
}

var (
	descUp    = desc("up", "1 when the last read of the queue from Redis succeeded, else 0 (and no other imgq_ queue figure is reported).")
	descTasks = desc("queue_tasks", "Tasks in each of the queue's lists (pending_high, pending, pending_low: waiting; processing: claimed; retry: waiting out a backoff; completed: the trimmed completed list; failed: dead letters).",
		"list")
	descShardTasks = desc("shard_tasks", "A sharded queue's (--shards) tasks in each list of each shard (pending: all priorities, processing, retry, completed, failed); the shard label is its name, a hash tag. Absent for an unsharded queue.",
		"shard", "list")
	descOldest  = desc("queue_oldest_pending_age_seconds", "Queue latency: how long the oldest pending task has waited (0 when none waits).")
	descWorkers = desc("workers", "Workers registered (and observed course workers) per state.", "state")
	descTotals  = map[string]*prometheus.Desc{
		"enqueued":  desc("tasks_enqueued_total", "Tasks enqueued since the queue was created or flushed."),
		"completed": desc("tasks_completed_total", "Tasks completed since the queue was created or flushed."),
		"failed":    desc("tasks_failed_total", "Tasks dead-lettered since the queue was created or flushed."),
		"retried":   desc("tasks_retried_total", "Failed attempts scheduled for a retry since the queue was created or flushed."),
		"recovered": desc("tasks_recovered_total", "Tasks recovered from dead or stuck workers since the queue was created or flushed."),
		"requeued":  desc("tasks_requeued_total", "Dead letters and stuck claims requeued by hand since the queue was created or flushed."),
	}
	descWorkerTasks    = desc("worker_tasks_total", "Tasks each worker finished, by outcome, since it registered.", "worker", "outcome")
	descWorkerFailures = desc("worker_failures_total", "Failed attempts of each worker since it registered, by fate: retried, dead (dead-lettered their task), or lost (the worker died or stalled: its lease lapsed and the task was recovered).", "worker", "fate")
)

// snapshot is one read of the queue.
type snapshot struct {
	stats queue.Stats
	err   error
	at    time.Time
}

// queueCollector reads the queue from Redis at scrape time: Queue.Stats (one
// round trip, the queue latency included), at most once per cacheFor
// whatever the number of scrapers; concurrent scrapes wait for one read.
type queueCollector struct {
	q        *queue.Queue
	cacheFor time.Duration

	mu   sync.Mutex
	last snapshot
}

func newQueueCollector(q *queue.Queue, cacheFor time.Duration) *queueCollector {
	return &queueCollector{q: q, cacheFor: cacheFor}
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descUp
	ch <- descTasks
	ch <- descShardTasks
	ch <- descOldest
	ch <- descWorkers
	for _, d := range descTotals {
		ch <- d
	}
	ch <- descWorkerTasks
	ch <- descWorkerFailures
}

func (c *queueCollector) read() snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.last.at.IsZero() && time.Since(c.last.at) < c.cacheFor {
		return c.last
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s := snapshot{at: time.Now()}
	s.stats, s.err = c.q.Stats(ctx)
	c.last = s
	return s
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	name := c.q.Name()
	snap := c.read()
	if snap.err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0, name)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1, name)
	s := snap.stats
	for _, l := range []struct {
		list string
		n    int64
	}{
		{"pending_high", s.PendingHigh}, {"pending", s.Pending}, {"pending_low", s.PendingLow},
		{"processing", s.Processing}, {"retry", s.Retry}, {"completed", s.Completed}, {"failed", s.Failed},
	} {
		ch <- prometheus.MustNewConstMetric(descTasks, prometheus.GaugeValue, float64(l.n), name, l.list)
	}
	for _, sh := range s.Shards {
		for _, l := range []struct {
			list string
			n    int64
		}{
			{"pending", sh.Pending}, {"processing", sh.Processing}, {"retry", sh.Retry}, {"completed", sh.Completed}, {"failed", sh.Failed},
		} {
			ch <- prometheus.MustNewConstMetric(descShardTasks, prometheus.GaugeValue, float64(l.n), name, sh.Name, l.list)
		}
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, snap.stats.OldestPending.Seconds(), name)

	states := make(map[queue.WorkerState]int, len(workerStates))
	for _, w := range s.Workers {
		states[w.State]++
	}
	for _, st := range workerStates {
		ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(states[st]), name, string(st))
	}

	t := s.Totals
	for k, v := range map[string]int64{"enqueued": t.Enqueued, "completed": t.Completed, "failed": t.Failed,
		"retried": t.Retried, "recovered": t.Recovered, "requeued": t.Requeued} {
		ch <- prometheus.MustNewConstMetric(descTotals[k], prometheus.CounterValue, float64(v), name)
	}
	seen := make(map[string]bool, len(s.Workers))
	for _, w := range s.Workers {
		if seen[w.ID] {
			continue // one series per worker id, whatever the registry holds
		}
		seen[w.ID] = true
		ch <- prometheus.MustNewConstMetric(descWorkerTasks, prometheus.CounterValue, float64(w.Processed), name, w.ID, OutcomeCompleted)
		ch <- prometheus.MustNewConstMetric(descWorkerTasks, prometheus.CounterValue, float64(w.Failed), name, w.ID, OutcomeFailed)
		ch <- prometheus.MustNewConstMetric(descWorkerFailures, prometheus.CounterValue, float64(w.Retried), name, w.ID, OutcomeRetried)
		ch <- prometheus.MustNewConstMetric(descWorkerFailures, prometheus.CounterValue, float64(w.Dead), name, w.ID, OutcomeDead)
		ch <- prometheus.MustNewConstMetric(descWorkerFailures, prometheus.CounterValue, float64(w.Lost), name, w.ID, fateLost)
	}
}
