package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrIDTaken: another live process registered the same worker id.
var ErrIDTaken = errors.New("worker id in use")

// ErrWorkerGone: the worker was declared gone (it missed heartbeats); its claims
// were handed to others and it must register again.
var ErrWorkerGone = errors.New("worker was declared gone")

// WorkerInfo identifies one worker process to the registry.
type WorkerInfo struct {
	ID          string // shown everywhere; a student's name in class
	Instance    string // random per process start: tells two processes with one id apart
	Host        string
	PID         int
	Concurrency int
}

// Register adds a worker to Q:workers and announces it (worker_up). It refuses an
// id held by another live process.
func (q *Queue) Register(ctx context.Context, w WorkerInfo) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.Register(ctx, w) })
	}
	if err := ValidateID("worker", w.ID); err != nil {
		return err
	}
	k := q.keys
	err := q.script(ctx, registerScript).Run(ctx, q.rdb, []string{k.Workers, k.Worker(w.ID), k.WorkersGone, k.Events},
		w.ID, w.Instance, w.Host, w.PID, w.Concurrency, ms(q.opts.WorkerTimeout), q.opts.EventsMaxLen).Err()
	if err != nil {
		if redis.HasErrorPrefix(err, "ID_TAKEN") {
			return fmt.Errorf("register %s: %w: %s", w.ID, ErrIDTaken, strings.TrimPrefix(err.Error(), "ID_TAKEN "))
		}
		return fmt.Errorf("register %s: %w", w.ID, err)
	}
	return nil
}

// Shared is what every worker on a queue reads from Q:config at each heartbeat:
// the switches a teacher's dashboard turns on for the whole class.
type Shared struct {
	FailRate float64       // failure injection, 0..1
	Pace     time.Duration // teaching pace: the least time per task; 0 is off
	Paused   bool          // claim nothing new (tasks in flight finish)
}

// Heartbeat marks the worker alive, records its state, and extends the leases of
// the tasks it holds (held), so a long task is never taken from a live worker. It
// returns the shared switches (Q:config), read in the same call.
func (q *Queue) Heartbeat(ctx context.Context, w WorkerInfo, state WorkerState, held []string) (Shared, error) {
	if q.sharded() {
		return q.heartbeatSharded(ctx, w, state, held)
	}
	k := q.keys
	args := make([]any, 0, 6+len(held))
	args = append(args, w.ID, w.Instance, ms(q.opts.Lease), k.TaskPrefix(), string(state), len(held))
	for _, id := range held {
		args = append(args, id)
	}
	res, err := q.script(ctx, heartbeatScript).Run(ctx, q.rdb, []string{k.Workers, k.Worker(w.ID), k.Leases, k.Config}, args...).StringSlice()
	if err != nil {
		return Shared{}, fmt.Errorf("heartbeat %s: %w", w.ID, q.explain(ctx, err))
	}
	if len(res) != 4 {
		return Shared{}, fmt.Errorf("heartbeat %s: unexpected reply %q", w.ID, res)
	}
	sh := sharedOf(res[1], res[2])
	sh.Paused = res[3] == "1"
	if res[0] == "gone" {
		return sh, fmt.Errorf("heartbeat %s: %w", w.ID, ErrWorkerGone)
	}
	return sh, nil
}

// sharedOf parses the switches as Q:config holds them. A pace that does not
// parse reads as off; one set out of range by hand (redis-cli) is capped, as
// SetPace would have refused it.
func sharedOf(rate, paceMS string) Shared {
	var sh Shared
	sh.FailRate, _ = strconv.ParseFloat(rate, 64)
	if n, err := strconv.ParseInt(paceMS, 10, 64); err == nil && n > 0 {
		sh.Pace = min(time.Duration(n)*time.Millisecond, maxPace)
	}
	return sh
}

// SetPaused pauses (or resumes) every imgq worker on the queue through
// Q:config: each stops claiming at its next heartbeat, its tasks in flight
// finish. The course's workers do not read it.
func (q *Queue) SetPaused(ctx context.Context, paused bool) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.SetPaused(ctx, paused) })
	}
	v := "0"
	if paused {
		v = "1"
	}
	if err := q.rdb.HSet(ctx, q.keys.Config, "paused", v).Err(); err != nil {
		return fmt.Errorf("set paused: %w", err)
	}
	return nil
}

// Deregister removes a cleanly stopping worker (worker_stopped).
func (q *Queue) Deregister(ctx context.Context, w WorkerInfo) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.Deregister(ctx, w) })
	}
	k := q.keys
	err := q.script(ctx, deregisterScript).Run(ctx, q.rdb, []string{k.Workers, k.Worker(w.ID), k.WorkersGone, k.Events},
		w.ID, w.Instance, ms(q.opts.KeepGone), q.opts.EventsMaxLen).Err()
	if err != nil && !isNil(err) {
		return fmt.Errorf("deregister %s: %w", w.ID, err)
	}
	return nil
}

// Housekeep runs Maintain unless another process sharing the queue ran it within
// the last period: a SET NX PX lock elects one housekeeper per period, so 1,000
// workers heartbeating every second still cost Redis one Maintain a second, not
// 1,000. If the elected process dies, its lock lapses and another takes over.
func (q *Queue) Housekeep(ctx context.Context, period time.Duration) (Maintenance, bool, error) {
	if q.sharded() {
		return q.housekeepSharded(ctx, period)
	}
	// A script rather than SET NX: at maxmemory (noeviction) a plain SET is
	// refused, and housekeeping (recovery of dead workers' tasks) must go on.
	ok, err := q.script(ctx, housekeepLockScript).Run(ctx, q.rdb, []string{q.keys.Housekeeper}, ms(period)).Bool()
	if err != nil {
		return Maintenance{}, false, fmt.Errorf("housekeeping lock: %w", err)
	}
	if !ok {
		return Maintenance{}, false, nil
	}
	m, err := q.Maintain(ctx)
	return m, true, err
}

// Observe runs the observer alone (observe.lua): it derives the workers imgq did
// not start from the course's keys. It moves no task and writes only imgq's own
// derived keys, so a read-only command such as `imgq stats` may run it to show
// course workers even when no imgq worker or dashboard is running.
func (q *Queue) Observe(ctx context.Context) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.Observe(ctx) })
	}
	k := q.keys
	err := q.script(ctx, observeScript).Run(ctx, q.rdb,
		[]string{k.Processing, k.Leases, k.Observed, k.ObsWorkers, k.Observer, k.Completed, k.Failed, k.Events, k.Stats},
		q.observeArgs()...).Err()
	if err != nil && !isNil(err) {
		return fmt.Errorf("observe workers: %w", q.explain(ctx, err))
	}
	return nil
}

func (q *Queue) observeArgs() []any {
	k := q.keys
	return []any{k.TaskPrefix(), k.ObsWorker(""), q.opts.EventsMaxLen, k.BlobPrefix(), ms(q.opts.KeepGone), 500, k.Worker("")}
}

// Maintenance is what one Maintain pass did.
type Maintenance struct {
	Gone      []string // workers declared gone
	Recovered int      // tasks whose lease lapsed, handed back (or dead-lettered)
	Forwarded int      // retries whose backoff ended, back in pending
	Stuck     int      // claims of workers imgq cannot see, requeued (Options.RecoverStuck)
}

// Maintain runs the housekeeping every worker process (and the dashboard) runs
// about once a second: declare silent workers gone, recover lapsed leases,
// forward due retries, observe the workers imgq did not start (observe.lua) and,
// with Options.RecoverStuck, requeue their claims older than StuckAfter. Every
// step is an atomic, idempotent script, so any number of processes may run it
// at once.
func (q *Queue) Maintain(ctx context.Context) (Maintenance, error) {
	if q.sharded() {
		var m Maintenance
		_, err := putBack(ctx, q, func(s *Queue) (int, error) {
			sm, err := s.Maintain(ctx)
			m = m.add(sm)
			return sm.backInPending(), err
		})
		return m, err
	}
	var m Maintenance
	k := q.keys
	tp := k.TaskPrefix()
	// One round trip; Redis runs the three in order, so recover.lua sees the
	// leases reap.lua just expired. All three are idempotent, so resending them
	// after NOSCRIPT is safe.
	var reap, recov, fwd, obs, stuck *redis.Cmd
	// Each command's own error is checked below.
	_, _ = q.scriptPipeline(ctx, func(p redis.Pipeliner, _ bool) {
		reap = p.EvalSha(ctx, q.script(ctx, reapScript).Hash(), []string{k.Workers, k.WorkersGone, k.Leases, k.Processing, k.Events},
			ms(q.opts.WorkerTimeout), k.Worker(""), q.opts.EventsMaxLen, ms(q.opts.KeepGone))
		recov = p.EvalSha(ctx, q.script(ctx, recoverScript).Hash(),
			[]string{k.Leases, k.Processing, k.PendingHigh, k.Pending, k.PendingLow, k.Failed, k.Signal, k.Events, k.Stats},
			tp, 1000, q.opts.EventsMaxLen, q.opts.SignalCap, k.Worker(""))
		fwd = p.EvalSha(ctx, q.script(ctx, forwardScript).Hash(),
			[]string{k.Retry, k.PendingHigh, k.Pending, k.PendingLow, k.Signal, k.Events, k.Failed, k.Stats},
			tp, 1000, q.opts.EventsMaxLen, q.opts.SignalCap)
		obs = p.EvalSha(ctx, q.script(ctx, observeScript).Hash(),
			[]string{k.Processing, k.Leases, k.Observed, k.ObsWorkers, k.Observer, k.Completed, k.Failed, k.Events, k.Stats},
			q.observeArgs()...)
		if q.opts.RecoverStuck {
			stuck = p.EvalSha(ctx, q.script(ctx, requeueStuckScript).Hash(), q.stuckKeys(), q.stuckArgs(q.opts.StuckAfter, "")...)
		}
	})
	gone, err := reap.StringSlice()
	if err != nil && !isNil(err) {
		return m, fmt.Errorf("reap workers: %w", q.explain(ctx, err))
	}
	m.Gone = gone
	if m.Recovered, err = recov.Int(); err != nil {
		return m, fmt.Errorf("recover leases: %w", err)
	}
	if m.Forwarded, err = fwd.Int(); err != nil {
		return m, fmt.Errorf("forward retries: %w", err)
	}
	if err := obs.Err(); err != nil && !isNil(err) {
		return m, fmt.Errorf("observe workers: %w", err)
	}
	if stuck != nil {
		if m.Stuck, err = stuck.Int(); err != nil {
			return m, fmt.Errorf("requeue stuck tasks: %w", err)
		}
	}
	return m, nil
}
