package queue

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats reads the whole picture in one round trip (stats.lua), the queue
// latency included. Its cost does not grow with the length of any list, only
// with the number of workers.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	if q.sharded() {
		return q.statsSharded(ctx)
	}
	k := q.keys
	res, err := q.script(ctx, statsScript).Run(ctx, q.rdb,
		[]string{k.PendingHigh, k.Pending, k.PendingLow, k.Processing, k.Retry, k.Completed, k.Failed,
			k.Stats, k.Workers, k.WorkersGone, k.Config, k.Leases, k.ObsWorkers, k.Observed},
		k.Worker(""), k.TaskPrefix(), k.ObsWorker("")).Slice()
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", q.explain(ctx, err))
	}
	if len(res) < 14 {
		return Stats{}, fmt.Errorf("stats: unexpected reply of %d fields", len(res))
	}
	now := num(res[0])
	s := Stats{
		At:          fromMS(now),
		PendingHigh: num(res[1]),
		Pending:     num(res[2]),
		PendingLow:  num(res[3]),
		Processing:  num(res[4]),
		Retry:       num(res[5]),
		Completed:   num(res[6]),
		Failed:      num(res[7]),
	}
	tot := pairs(res[8])
	s.Totals = Totals{
		Enqueued:  atoi(tot["enqueued"]),
		Claimed:   atoi(tot["claimed"]),
		Completed: atoi(tot["completed"]),
		Retried:   atoi(tot["retried"]),
		Failed:    atoi(tot["failed"]),
		Recovered: atoi(tot["recovered"]),
		Requeued:  atoi(tot["requeued"]),
	}
	cfg := pairs(res[9])
	s.FailRate, _ = strconv.ParseFloat(cfg["fail_rate"], 64)
	s.Paused = cfg["paused"] == "1"
	if ms, err := strconv.ParseInt(cfg["pace_ms"], 10, 64); err == nil && ms > 0 {
		s.Pace = time.Duration(ms) * time.Millisecond
	}
	ws, _ := res[10].([]any)
	for _, w := range ws {
		s.Workers = append(s.Workers, ownState(workerStat(pairs(w), now)))
	}
	sort.SliceStable(s.Workers, func(i, j int) bool {
		return s.Workers[i].StartedAt.Before(s.Workers[j].StartedAt)
	})
	fc, _ := res[12].([]any)
	for i := 0; i+3 < len(fc); i += 4 {
		s.Foreign = append(s.Foreign, ForeignClaim{ID: clip(str(fc[i]), MaxNameBytes), Worker: clip(str(fc[i+1]), MaxNameBytes),
			Since: fromMS(num(fc[i+2])), Name: clip(str(fc[i+3]), MaxNameBytes)})
	}
	sort.Slice(s.Foreign, func(i, j int) bool { return s.Foreign[i].Since.Before(s.Foreign[j].Since) })
	obs, _ := res[11].([]any)
	var observed []WorkerStat
	for _, w := range obs {
		observed = append(observed, observedState(workerStat(pairs(w), now), s.Foreign, s.At))
	}
	sort.SliceStable(observed, func(i, j int) bool { return observed[i].ID < observed[j].ID })
	s.Workers = append(s.Workers, observed...)
	s.OldestPending = time.Duration(max(num(res[13]), 0)) * time.Millisecond
	return s, nil
}

// ownState says busy when an imgq worker holds a task and idle when it holds
// none. The state field is written by the heartbeat, once a second: with tasks
// of 10-100 ms it still said busy a second after the queue drained, with no
// current task to show. active and current are kept by the claim and ack
// scripts themselves; paused, gone and stopped are left as reported.
func ownState(w WorkerStat) WorkerStat {
	if w.State != WorkerIdle && w.State != WorkerBusy {
		return w
	}
	w.State = WorkerIdle
	if w.Current != "" || w.Active > 0 {
		w.State = WorkerBusy
	}
	return w
}

// observedState takes a course worker's current task from the claims read in
// this very call (the newest one it holds), not from the observer's record,
// which is up to a pass old: a course worker finishes a task in well under
// the observer's second, so that record named a finished task, and a busy
// worker showed none. A course worker counts no retries: each of its failures
// is a dead letter.
func observedState(w WorkerStat, foreign []ForeignClaim, at time.Time) WorkerStat {
	w.Observed = true
	w.Dead, w.Retried = w.Failed, 0
	w.Current, w.CurrentName, w.CurrentFor, w.Active = "", "", 0, 0
	for _, c := range foreign {
		if c.Worker != w.ID {
			continue
		}
		w.Active++
		w.Current, w.CurrentName = c.ID, c.Name
		w.CurrentFor = max(at.Sub(c.Since), 0)
	}
	w.State = WorkerIdle
	if w.Active > 0 {
		w.State = WorkerBusy
	}
	return w
}

func workerStat(h map[string]string, now int64) WorkerStat {
	w := WorkerStat{
		ID:          clip(h["id"], MaxNameBytes),
		Host:        clip(h["host"], MaxNameBytes),
		PID:         int(atoi(h["pid"])),
		Concurrency: int(atoi(h["concurrency"])),
		State:       WorkerState(h["state"]),
		StartedAt:   fromMS(atoi(h["started_at"])),
		LastSeen:    fromMS(atoi(h["last_seen"])),
		Processed:   atoi(h["processed"]),
		Failed:      atoi(h["failed"]),
		Retried:     atoi(h["retried"]),
		Dead:        atoi(h["dead"]),
		Lost:        atoi(h["lost"]),
		Busy:        time.Duration(atoi(h["busy_ms"])) * time.Millisecond,
		Active:      max(atoi(h["active"]), 0),
	}
	if started := atoi(h["current_started"]); started > 0 {
		w.Current = clip(h["current"], MaxNameBytes)
		w.CurrentName = clip(h["current_name"], MaxNameBytes)
		w.CurrentFor = time.Duration(max(now-started, 0)) * time.Millisecond
		if w.Active == 0 {
			w.Active = 1
		}
	}
	if w.State == WorkerIdle && w.Active > 0 {
		w.State = WorkerBusy
	}
	return w
}

// pairs turns a flat [k, v, k, v...] reply into a map.
func pairs(v any) map[string]string {
	a, _ := v.([]any)
	m := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		m[str(a[i])] = str(a[i+1])
	}
	return m
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// maxPace bounds the teaching pace: longer than this and a worker's lease
// extension, not the lesson, is what a class would be watching.
const maxPace = 10 * time.Second

// SetPace shares a teaching pace (the least time per task, 0 = off) with every
// imgq worker on the queue through Q:config, like the failure-injection rate.
func (q *Queue) SetPace(ctx context.Context, pace time.Duration) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.SetPace(ctx, pace) })
	}
	if pace < 0 || pace > maxPace {
		return fmt.Errorf("pace %s is outside 0..%s", pace, maxPace)
	}
	if err := q.rdb.HSet(ctx, q.keys.Config, "pace_ms", pace.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("set pace: %w", err)
	}
	return nil
}

// ClearShared turns off each switch of mine that is set (FailRate > 0, Pace >
// 0, Paused) and still holds mine's value in Q:config, atomically (WATCH): a
// dashboard quitting turns off what it turned on, never what another
// dashboard set since. It reads Redis, not a snapshot, so a write of the
// quitting dashboard that a refresh has not shown yet is still turned off.
func (q *Queue) ClearShared(ctx context.Context, mine Shared) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.ClearShared(ctx, mine) })
	}
	key := q.keys.Config
	clear := func(tx *redis.Tx) error {
		cur, err := tx.HMGet(ctx, key, "fail_rate", "pace_ms", "paused").Result()
		if err != nil {
			return err
		}
		var off []any
		if f, err := strconv.ParseFloat(str(cur[0]), 64); err == nil && mine.FailRate > 0 && f == mine.FailRate {
			off = append(off, "fail_rate", "0")
		}
		if mine.Pace > 0 && str(cur[1]) == strconv.FormatInt(mine.Pace.Milliseconds(), 10) {
			off = append(off, "pace_ms", "0")
		}
		if mine.Paused && str(cur[2]) == "1" {
			off = append(off, "paused", "0")
		}
		if len(off) == 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, off...)
			return nil
		})
		return err
	}
	// Another write to Q:config between the read and the write fails the
	// transaction: read again.
	var err error
	for range 3 {
		if err = q.rdb.Watch(ctx, clear, key); err != redis.TxFailedErr {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("clear shared switches: %w", err)
	}
	return nil
}

// SetFailRate shares a failure-injection rate (0..1) with every worker through
// Q:config, so a teacher's switch reaches the students' workers too.
func (q *Queue) SetFailRate(ctx context.Context, rate float64) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.SetFailRate(ctx, rate) })
	}
	if rate < 0 || rate > 1 {
		return fmt.Errorf("fail rate %v is outside 0..1", rate)
	}
	if err := q.rdb.HSet(ctx, q.keys.Config, "fail_rate", strconv.FormatFloat(rate, 'f', -1, 64)).Err(); err != nil {
		return fmt.Errorf("set fail rate: %w", err)
	}
	return nil
}
