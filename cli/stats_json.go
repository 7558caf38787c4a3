package cli

import (
	"time"
)

// What `imgq stats --json` prints: the snapshot in snake_case.

type statsJSON struct {
	Queue       string    `json:"queue,omitempty"`
	At          time.Time `json:"at"`
	Pending     int64     `json:"pending"`
	PendingHigh int64     `json:"pending_high"`
	PendingNorm int64     `json:"pending_normal"`
	PendingLow  int64     `json:"pending_low"`
	Processing  int64     `json:"processing"`
	Retry       int64     `json:"retry"`
	Completed   int64     `json:"completed"`
	Failed      int64     `json:"failed"`
	// OldestPendingAge is the queue latency: how long the oldest pending
	// task has waited, in seconds (0 when none waits).
	OldestPendingAge float64        `json:"oldest_pending_age_seconds"`
	Totals           totalsJSON     `json:"totals"`
	FailRate         float64        `json:"fail_rate"`
	Workers          []workerJSON   `json:"workers"`
	Stuck            []stuckJSON    `json:"stuck"`
	Extra            map[string]any `json:"-"`

	// Shards are a sharded queue's sub-queues, each with its part of the
	// depths above; absent for an unsharded queue.
	Shards []shardJSON `json:"shards,omitempty"`
}

type workerJSON struct {
	ID          string    `json:"id"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	State       string    `json:"state"`
	Concurrency int       `json:"concurrency"`
	Processed   int64     `json:"processed"`
	Failed      int64     `json:"failed"`
	BusyMS      int64     `json:"busy_ms"`
	MeanMS      int64     `json:"mean_ms"`
	Current     string    `json:"current,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	LastSeen    time.Time `json:"last_seen"`
	Observed    bool      `json:"observed"` // a worker imgq did not start (a course worker), derived from its moves
}

// totalsJSON names the counters in the same snake_case as every other field.
type totalsJSON struct {
	Enqueued  int64 `json:"enqueued"`
	Claimed   int64 `json:"claimed"`
	Completed int64 `json:"completed"`
	Retried   int64 `json:"retried"`
	Failed    int64 `json:"failed"`
	Recovered int64 `json:"recovered"`
	Requeued  int64 `json:"requeued"`
}

// stuckJSON is a claim without an imgq lease held longer than --stuck-after.
type stuckJSON struct {
	ID      string    `json:"id"`
	Worker  string    `json:"worker"`
	Since   time.Time `json:"since"`
	Seconds int64     `json:"seconds"`
}

func toJSON(v statsView, stuckAfter time.Duration) statsJSON {
	s := v.Stats
	j := statsJSON{
		OldestPendingAge: v.OldestPending.Seconds(),
		At:               s.At, Pending: s.PendingTotal(), PendingHigh: s.PendingHigh, PendingNorm: s.Pending,
		PendingLow: s.PendingLow, Processing: s.Processing, Retry: s.Retry, Completed: s.Completed,
		Failed: s.Failed, FailRate: s.FailRate, Workers: []workerJSON{}, Stuck: []stuckJSON{}, Shards: shardsJSON(s.Shards),
		Totals: totalsJSON{Enqueued: s.Totals.Enqueued, Claimed: s.Totals.Claimed, Completed: s.Totals.Completed,
			Retried: s.Totals.Retried, Failed: s.Totals.Failed, Recovered: s.Totals.Recovered, Requeued: s.Totals.Requeued},
	}
	for _, c := range s.Stuck(stuckAfter) {
		j.Stuck = append(j.Stuck, stuckJSON{ID: c.ID, Worker: c.Worker, Since: c.Since, Seconds: int64(s.At.Sub(c.Since).Seconds())})
	}
	for _, w := range s.Workers {
		j.Workers = append(j.Workers, workerJSON{
			ID: w.ID, Host: w.Host, PID: w.PID, State: string(w.State), Concurrency: w.Concurrency,
			Processed: w.Processed, Failed: w.Failed, BusyMS: w.Busy.Milliseconds(),
			MeanMS: w.MeanTime().Milliseconds(), Current: w.Current, StartedAt: w.StartedAt, LastSeen: w.LastSeen,
			Observed: w.Observed,
		})
	}
	return j
}
