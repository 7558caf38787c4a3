package workers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/queue"
)

// Config tunes one worker. Zero fields take the defaults shown.
type Config struct {
	ID          string        // registry id; default "<host>-<pid>"
	Concurrency int           // 1: tasks run at once
	Heartbeat   time.Duration // 1s: heartbeat period; housekeeping runs twice per period
	Grace       time.Duration // 10s: on stop, time in-flight tasks get to finish
	// TaskTimeout limits each run of a task whose record has no limit of its
	// own (queue.NewTask.Timeout): its handler's context is cancelled and the
	// run fails with a TimeoutError, a retryable failure that uses an attempt.
	// 0: DefaultTaskTimeout; negative: no limit.
	TaskTimeout time.Duration
	// StopWait is how long a handler whose context was cancelled (time limit,
	// end of grace) gets to return before the worker gives up on it; 0: 500ms.
	StopWait time.Duration
	Delay    time.Duration // 0: extra time each task takes, to make work visible in class
	Handler  Handler
	// OnFailRate, when set, receives the shared failure-injection rate read from
	// Redis at each heartbeat.
	OnFailRate func(float64)
	// The teaching pace (queue.SetPace, the dashboard's --pace and < > keys) is
	// read from Redis at each heartbeat too: no field, every worker honours it.
	// OnClaim, when set, is called with each task the worker claims, before
	// its handler starts (for metrics: the pickup latency is ClaimedAt -
	// CreatedAt). It runs on the claiming goroutine: it must be quick and
	// safe for concurrent use.
	OnClaim func(queue.Claimed)
	// OnOutcome, when set, is called with each outcome once Redis has recorded
	// it (completed, or failed: retried or dead-lettered), not for results
	// dropped (lease lost) or tasks handed back. Quick and concurrency-safe,
	// as OnClaim.
	OnOutcome func(queue.Outcome)
	Logger    *slog.Logger
}

// DefaultTaskTimeout is Config.TaskTimeout's default.
const DefaultTaskTimeout = 5 * time.Minute

// DefaultHeartbeat is Config.Heartbeat's default.
const DefaultHeartbeat = time.Second

// TimeoutError is the failure of a run that reached its time limit. It is
// retryable: it uses an attempt, and the task is dead-lettered with this error
// after its last.
type TimeoutError struct{ Limit time.Duration }

func (e *TimeoutError) Error() string { return fmt.Sprintf("task timed out after %s", e.Limit) }

// runState is one run of a handler, from start until its handler returns or
// the worker gives up on it.
type runState struct {
	task    queue.Claimed
	claimed time.Time // when its claim came back: the teaching pace counts from here
	stuck   bool      // cancelled and still not returned after StopWait: its lease is no longer extended
}

// Worker claims tasks from a queue and runs them through its handler.
type Worker struct {
	q    *queue.Queue
	cfg  Config
	info queue.WorkerInfo
	log  *slog.Logger

	paused      atomic.Bool
	queuePaused atomic.Bool   // paused for the whole queue (queue.SetPaused), from the last heartbeat
	pace        atomic.Int64  // the shared teaching pace (time.Duration), from the last heartbeat
	wake        chan struct{} // nudges the fetcher (a slot freed, unpaused)
	claiming    sync.RWMutex  // read-held by the fetcher over a claim; SetPaused(true) waits for it
	mu          sync.Mutex
	held        map[string]queue.Claimed // in flight, for heartbeats and hand-back
	// runs are the handlers not yet returned (nor abandoned). A task can have
	// two: a run the worker gave up on (stuck) whose lapsed lease let the task
	// come back to this same worker.
	runs     map[*runState]struct{}
	reserved int         // slots promised to claims in progress (fetcher and ackers)
	backed   int         // part of reserved that ackers' own batches will free first
	more     atomic.Bool // the last claim got all it asked for: ackers claim too
	results  chan queue.Outcome
}

// runEnv is what the fetcher and the ackers need to start handlers.
type runEnv struct {
	ctx, taskCtx context.Context
	handlers     *sync.WaitGroup // handlers, plus one per outcome not yet recorded
}

// New returns a worker; Run starts it.
func New(q *queue.Queue, cfg Config) (*Worker, error) {
	if cfg.Handler == nil {
		return nil, errors.New("worker: no handler")
	}
	host, _ := os.Hostname()
	if cfg.ID == "" {
		cfg.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if err := queue.ValidateID("worker", cfg.ID); err != nil {
		return nil, err
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	if cfg.TaskTimeout == 0 {
		cfg.TaskTimeout = DefaultTaskTimeout
	}
	if cfg.StopWait <= 0 {
		cfg.StopWait = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var inst [6]byte
	_, _ = rand.Read(inst[:])
	return &Worker{
		q:   q,
		cfg: cfg,
		info: queue.WorkerInfo{ID: cfg.ID, Instance: hex.EncodeToString(inst[:]), Host: host,
			PID: os.Getpid(), Concurrency: cfg.Concurrency},
		log:     cfg.Logger.With("worker", cfg.ID),
		wake:    make(chan struct{}, 1),
		held:    make(map[string]queue.Claimed),
		runs:    make(map[*runState]struct{}),
		results: make(chan queue.Outcome, cfg.Concurrency),
	}, nil
}

// ID is the worker's registry id.
func (w *Worker) ID() string { return w.cfg.ID }

// SetPaused stops (or resumes) claiming new tasks; tasks in flight finish.
// Pausing waits for a claim the fetcher has already sent: when it returns, the
// fetcher claims nothing more (a claim riding on an acknowledgement already on
// its way may still bring tasks; they run, as tasks in flight do).
func (w *Worker) SetPaused(p bool) {
	// The fetcher read-holds claiming from its holding() check to the claim's
	// reply: set under the write lock, the pause waits for that claim.
	w.claiming.Lock()
	w.paused.Store(p)
	w.claiming.Unlock()
	w.nudge()
}

// Paused reports whether the worker is paused (by SetPaused).
func (w *Worker) Paused() bool { return w.paused.Load() }

// holding reports whether the worker claims nothing new: paused by SetPaused,
// or for the whole queue through Redis.
func (w *Worker) holding() bool { return w.paused.Load() || w.queuePaused.Load() }

func (w *Worker) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run registers the worker and processes tasks until ctx ends. Then it stops
// claiming, gives in-flight tasks Config.Grace to finish, hands the rest back to
// pending, deregisters, and returns nil. Nothing is lost on the way out.
//
// Run returns within Grace + StopWait (plus the Redis round trips of the hand-
// backs and the last acknowledgements) whatever the handlers do: a handler
// that has not returned StopWait after its context was cancelled is abandoned
// (its task is handed back; the goroutine is left running). Go cannot kill a
// goroutine, and one blocked in a system call (a read of a FIFO) or in code
// that never looks at its context may never return; waiting for it would keep
// the worker, and its task, forever. An abandoned handler's late result is
// dropped, so the task's hand-back stands. A process (imgq worker) exits after
// Run, ending it; an embedding program keeps it until it returns.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.q.Register(ctx, w.info); err != nil {
		return err
	}
	w.log.Info("worker up", "concurrency", w.cfg.Concurrency)

	// taskCtx outlives ctx by the grace period, so handlers can finish.
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()

	var handlers sync.WaitGroup
	env := runEnv{ctx: ctx, taskCtx: taskCtx, handlers: &handlers}
	w.more.Store(true)
	// One acker: outcomes that finish while its round trip is in flight wait
	// for the next one, so under load each trip acknowledges (and claims) about
	// half the slots at once. Two ackers kept Redis busier between trips but
	// split the same work into twice the script calls: issue 14 measured one
	// acker at ~0.08 script calls per task instead of ~0.14 and less Redis
	// and client CPU per task; on a quiet machine it costs 10–15% of the no-op
	// tasks/s, as Redis waits while the reply is handled (docs/BENCHMARKS.md,
	// section 1, "The acker trade-off").
	var ackers sync.WaitGroup
	ackers.Go(func() { w.ackLoop(env) })
	// One beat before the first claim: it picks up the shared failure-injection
	// rate; one housekeeping pass recovers what dead workers left, before this
	// one takes work.
	hbCtx, stopHB := context.WithCancel(context.WithoutCancel(ctx))
	w.beat(hbCtx)
	hk := queue.NewHousekeeper(w.q, queue.HousekeepPeriod(w.cfg.Heartbeat), func(err error) {
		w.log.Warn("housekeeping", "err", err)
	})
	if _, _, err := hk.Once(hbCtx); err != nil {
		w.log.Warn("housekeeping", "err", err)
	}
	hk.Start(hbCtx)
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); w.heartbeatLoop(hbCtx) }()

	w.fetchLoop(env)

	// Stopping: wait for handlers up to the grace period, then cancel the rest;
	// handlers that end by cancellation hand their task back (see run).
	done := make(chan struct{})
	go func() { handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.Grace):
		w.log.Warn("grace period over, handing back unfinished tasks")
		cancelTasks()
		select {
		case <-done:
		case <-time.After(w.cfg.StopWait):
			w.abandon(env)
			<-done
		}
	}
	close(w.results)
	ackers.Wait()
	stopHB()
	<-hbDone
	hk.Stop()

	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.q.Deregister(bg, w.info); err != nil {
		w.log.Warn("deregister", "err", err)
	}
	w.log.Info("worker stopped")
	return nil
}

// reserve promises the free slots to a claim about to be sent, so the fetcher
// and the ackers together never claim more than the free slots.
func (w *Worker) reserve() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := max(w.cfg.Concurrency-len(w.held)-(w.reserved-w.backed), 0)
	w.reserved += n
	return n
}

// An idle fetcher blocks on the queue's wake-up token, which imgq's enqueue
// pushes but a course-style producer's plain RPUSH does not: a course task is
// seen at the next claim. So the wait is short (idleWaitMin) for idleFastFor
// after the worker starts or last found work, then doubles while the queue
// stays empty, up to idleWaitMax: a fresh or recently busy worker picks up a
// course task within about 10 ms, a long-idle one within idleWaitMax (under
// the course worker's own 0.5 s poll), for 4 empty claims a second.
const (
	idleWaitMin = 10 * time.Millisecond
	idleFastFor = 2 * time.Second
	idleWaitMax = 250 * time.Millisecond
)

// fetchLoop claims as many tasks as there are free slots; when the queue is empty
// it blocks in Redis (WaitForWork) rather than polling. While the queue has work,
// the ackers refill the slots their acks free (see finish); this loop covers the rest.
func (w *Worker) fetchLoop(env runEnv) {
	ctx := env.ctx
	backoff := 100 * time.Millisecond
	idle, lastWork := idleWaitMin, time.Now()
	for ctx.Err() == nil {
		free := 0
		w.claiming.RLock()
		if !w.holding() {
			free = w.reserve()
		}
		if free <= 0 {
			w.claiming.RUnlock()
			select {
			case <-ctx.Done():
			case <-w.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		// The claim itself must not be cut off by ctx: a claim that succeeds in
		// Redis but whose reply is dropped would strand its tasks until their
		// leases lapse, instead of being handed back at once.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		tasks, err := w.q.Claim(cctx, w.cfg.ID, free)
		cancel()
		w.claiming.RUnlock()
		w.more.Store(err == nil && len(tasks) == free)
		w.mu.Lock()
		w.reserved -= free
		for _, t := range tasks {
			w.held[t.ID] = t
		}
		w.mu.Unlock()
		w.start(env, tasks)
		if err != nil {
			w.log.Warn("claim failed, retrying", "err", err, "in", backoff)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(tasks) == 0 {
			if _, err := w.q.WaitForWork(ctx, idle); err != nil && ctx.Err() == nil {
				w.log.Warn("wait for work", "err", err)
				sleep(ctx, backoff)
			}
			if time.Since(lastWork) > idleFastFor {
				idle = min(idle*2, idleWaitMax)
			}
		} else {
			idle, lastWork = idleWaitMin, time.Now()
		}
	}
}

// start runs claimed tasks (already in held), one goroutine each. Each
// goroutine counts in env.handlers until it has queued its outcome or handed
// its task back, or until Run abandons it (see abandon), whichever is first.
func (w *Worker) start(env runEnv, tasks []queue.Claimed) {
	for _, t := range tasks {
		if w.cfg.OnClaim != nil {
			w.cfg.OnClaim(t)
		}
		rs := &runState{task: t, claimed: time.Now()}
		w.mu.Lock()
		w.runs[rs] = struct{}{}
		w.mu.Unlock()
		env.handlers.Add(1)
		go w.run(env, rs)
	}
}

// limit is the time limit of one run of t: its own, else the worker's.
func (w *Worker) limit(t queue.Claimed) time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return max(w.cfg.TaskTimeout, 0)
}

// run executes one task and queues its outcome for the acker.
func (w *Worker) run(env runEnv, rs *runState) {
	t := rs.task
	ctx, taskCtx := env.ctx, env.taskCtx
	limit := w.limit(t)
	var hctx context.Context
	var cancel context.CancelFunc
	if limit > 0 {
		hctx, cancel = context.WithTimeout(taskCtx, limit)
	} else {
		hctx, cancel = context.WithCancel(taskCtx)
	}
	defer cancel()
	// A handler still running StopWait after its cancellation cannot be
	// stopped: stop extending its lease, so that it lapses and recovery hands
	// the task to another worker (using an attempt) rather than this worker
	// holding it for ever.
	unwatch := context.AfterFunc(hctx, func() {
		time.AfterFunc(w.cfg.StopWait, func() { w.markStuck(rs) })
	})
	start := time.Now()
	result, err := w.safeHandle(hctx, t)
	// Read before the pace: a failure followed by a pace that reaches the time
	// limit did not time out.
	timedOut := errors.Is(hctx.Err(), context.DeadlineExceeded)
	w.keepPace(ctx, hctx, rs.claimed)
	elapsed := time.Since(start)
	unwatch()
	w.mu.Lock()
	_, live := w.runs[rs]
	delete(w.runs, rs)
	cur, held := w.held[t.ID]
	superseded := !held || cur.Attempt != t.Attempt
	stuck := rs.stuck
	w.mu.Unlock()
	if !live {
		// Run gave up on this handler at shutdown, handed its task back and
		// stopped counting it: the result is no longer this worker's to record.
		w.log.Warn("abandoned handler returned; result dropped", "task", t.ID)
		return
	}
	defer env.handlers.Done()
	if superseded {
		// Stuck, its lease lapsed and this worker claimed the task again: the
		// new claim owns the task (and its entry in held).
		w.log.Warn("handler returned after its task was claimed again; result dropped", "task", t.ID, "attempt", t.Attempt)
		return
	}
	if stuck {
		w.log.Warn("handler returned after the worker gave up on it", "task", t.ID, "after", elapsed.Round(time.Millisecond))
	}
	if err != nil && limit > 0 && taskCtx.Err() == nil && timedOut {
		// Its time limit, not a stop: a retryable failure, whatever the handler
		// made of its cancelled context.
		w.log.Warn("task timed out", "task", t.ID, "limit", limit, "returned after", elapsed.Round(time.Millisecond))
		err = &TimeoutError{Limit: limit}
	}
	if err != nil && taskCtx.Err() != nil && ctx.Err() != nil {
		// Cut short by shutdown: hand it back instead of counting a failure.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := w.q.Release(bg, w.cfg.ID, t); rerr != nil {
			w.log.Warn("release", "task", t.ID, "err", rerr)
		}
		cancel()
		w.forget(t.ID)
		return
	}
	// Counted until recorded: Run must not see "all handlers done" while the
	// acker may still start handlers for the tasks it claims with this ack.
	env.handlers.Add(1)
	w.results <- queue.Outcome{Worker: w.cfg.ID, Task: t, Result: result, Output: outputOf(result), Err: err, Elapsed: elapsed}
}

// keepPace makes a run last at least the shared teaching pace from its claim,
// so a class can follow tasks that take milliseconds: it sleeps what the
// handler left of it. Its lease is still extended by the heartbeats meanwhile.
// A stop (ctx) or the task's time limit (hctx) ends the sleep early: the
// outcome stands, and a stopping worker does not spend its grace on a lesson.
func (w *Worker) keepPace(ctx, hctx context.Context, claimed time.Time) {
	left := time.Duration(w.pace.Load()) - time.Since(claimed)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-hctx.Done():
	}
}

// Pace is the teaching pace the worker last read from Redis (0: off).
func (w *Worker) Pace() time.Duration { return time.Duration(w.pace.Load()) }

// safeHandle turns a handler panic into a permanent failure of that task
// instead of a crash of every task in the process.
func (w *Worker) safeHandle(ctx context.Context, t queue.Claimed) (res []byte, err error) {
	if w.cfg.Delay > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(w.cfg.Delay):
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = queue.Permanent(fmt.Errorf("handler panic: %v", r))
		}
	}()
	return w.cfg.Handler(ctx, t)
}

// markStuck stops extending the lease of a run whose handler has not returned
// StopWait after its context was cancelled (a no-op once it has returned).
func (w *Worker) markStuck(rs *runState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, live := w.runs[rs]; !live || rs.stuck {
		return
	}
	rs.stuck = true
	w.log.Error("task did not stop after its cancellation; no longer extending its lease, so another worker may take it",
		"task", rs.task.ID, "waited", w.cfg.StopWait)
}

// stuckClaim reports whether claim c's run is one the worker gave up on
// (called with w.mu held).
func (w *Worker) stuckClaim(c queue.Claimed) bool {
	for rs := range w.runs {
		if rs.stuck && rs.task.ID == c.ID && rs.task.Attempt == c.Attempt {
			return true
		}
	}
	return false
}

// abandon gives up, at the end of a stop, on the handlers that have not
// returned StopWait after their context was cancelled: each task is handed
// back (so it runs again elsewhere without using an attempt) and its goroutine
// stops counting in env.handlers, so Run can return. See Run.
func (w *Worker) abandon(env runEnv) {
	w.mu.Lock()
	var gone []queue.Claimed
	for rs := range w.runs {
		delete(w.runs, rs)
		gone = append(gone, rs.task)
	}
	w.mu.Unlock()
	for _, t := range gone {
		w.log.Error("task did not stop after the grace period; handing it back and leaving its handler behind", "task", t.ID, "waited", w.cfg.StopWait)
		w.release([]queue.Claimed{t}) // fenced: a superseded claim is refused
		w.mu.Lock()
		if cur, ok := w.held[t.ID]; ok && cur.Attempt == t.Attempt {
			delete(w.held, t.ID)
		}
		w.mu.Unlock()
		env.handlers.Done()
	}
}

func (w *Worker) forget(id string) {
	w.mu.Lock()
	delete(w.held, id)
	w.mu.Unlock()
	w.nudge()
}

// ackLoop records outcomes, batching whatever finished meanwhile into one
// pipelined round trip. A Redis error is retried: the outcome is only dropped
// when the claim is gone (lease lost), in which case another worker owns it.
//
// Outcomes that could not be recorded wait in a carry for their next try
// (ackRetryMin, doubling to ackRetryMax) while newer ones go on being
// recorded: on a sharded queue, acknowledgements one shard refuses (its
// master down, its slot migrating) do not hold up the other shards'. After
// ackAttempts tries an outcome is left to lease recovery.
func (w *Worker) ackLoop(env runEnv) {
	batch := make([]queue.Outcome, 0, max(64, w.cfg.Concurrency))
	c := ackCarry{tries: map[string]int{}, backoff: ackRetryMin}
	results := w.results
	for results != nil || len(c.outs) > 0 {
		var retry <-chan time.Time
		var timer *time.Timer
		if len(c.outs) > 0 {
			timer = time.NewTimer(time.Until(c.due))
			retry = timer.C
		}
		batch = batch[:0]
		select {
		case o, ok := <-results:
			if ok {
				batch = w.gather(append(batch, o))
			} else {
				results = nil // closed: only the carry is left to record
			}
		case <-retry:
		}
		if timer != nil {
			timer.Stop()
		}
		if len(batch) > 0 {
			left, err := w.finish(env, batch, true)
			w.carry(env, &c, batch, left, err)
		}
		if len(c.outs) > 0 && !time.Now().Before(c.due) {
			again := c.outs
			c.outs = nil
			left, err := w.finish(env, again, false)
			w.carry(env, &c, again, left, err)
		}
	}
}

// ackCarry is what the acker has to send again.
type ackCarry struct {
	outs    []queue.Outcome
	tries   map[string]int // by task id: round trips that left it unrecorded
	backoff time.Duration  // the wait after the next round trip that leaves some
	due     time.Time      // when outs go again
}

// carry settles a round trip of sent outcomes, of which left were not
// recorded: the others are done; left wait in c for their next try, or are
// given up after ackAttempts.
func (w *Worker) carry(env runEnv, c *ackCarry, sent, left []queue.Outcome, err error) {
	kept := make(map[string]bool, len(left))
	for _, o := range left {
		c.tries[o.Task.ID]++
		handBack := o.Err != nil && queue.IsUnavailable(o.Err)
		// A stopping worker tries a hand-back a few times only: lease
		// recovery requeues the task as well, and the worker may exit.
		if n := c.tries[o.Task.ID]; n >= ackAttempts || handBack && env.ctx.Err() != nil && n >= 3 {
			// Give up; the lease will lapse and the task run again elsewhere.
			what := "could not record a result, leaving it to lease recovery"
			if handBack {
				what = "could not hand back a task, leaving it to lease recovery"
			}
			w.log.Error(what, "task", o.Task.ID, "err", err)
			delete(c.tries, o.Task.ID)
			w.forget(o.Task.ID)
			continue
		}
		kept[o.Task.ID] = true
		c.outs = append(c.outs, o)
	}
	done := 0
	for _, o := range sent {
		if !kept[o.Task.ID] {
			delete(c.tries, o.Task.ID)
			done++
		}
	}
	for range done {
		env.handlers.Done()
	}
	switch {
	case len(left) > 0:
		c.due = time.Now().Add(c.backoff)
		c.backoff = min(c.backoff*2, ackRetryMax)
	case len(c.outs) == 0:
		c.backoff = ackRetryMin
	}
}

// ackRetryMin and ackRetryMax bound the wait before outcomes that could not be
// recorded are sent again; ackAttempts is how many times they are.
const (
	ackRetryMin = 50 * time.Millisecond
	ackRetryMax = 2 * time.Second
	ackAttempts = 30
)

// gather adds to batch the outcomes that finish meanwhile: what is queued,
// and, while handlers run, what they return within ackYields turns.
func (w *Worker) gather(batch []queue.Outcome) []queue.Outcome {
	for yield := 0; ; yield++ {
		batch = w.drain(batch)
		if yield >= ackYields || len(batch) == cap(batch) || !w.running() {
			return batch
		}
		runtime.Gosched()
	}
}

// ackYields is how many times the acker lets the handlers run before it
// sends a batch while some are still running: a handler that is about to
// return then rides this trip instead of the next one. Under load with quick
// tasks that makes trips ~40 tasks instead of ~25 (script calls per task
// 0.080 → 0.046, Redis CPU per task about -20% in interleaved runs, issue 14);
// with slow tasks it costs two Gosched calls a trip.
const ackYields = 2

// drain appends the outcomes already queued, without waiting.
func (w *Worker) drain(batch []queue.Outcome) []queue.Outcome {
	for len(batch) < cap(batch) {
		select {
		case o, ok := <-w.results:
			if !ok {
				return batch
			}
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

// running reports whether some handler has not returned yet.
func (w *Worker) running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs) > 0
}

// finish sends one round trip for a batch of outcomes (after handing back
// those that failed for want of Redis) and returns the outcomes to send again
// and the first one's error. A fresh batch also claims, while the queue has
// work, for the slots it frees (its own tasks count as held until then, so
// this never claims more than free slots); outcomes sent again never do.
func (w *Worker) finish(env runEnv, batch []queue.Outcome, fresh bool) ([]queue.Outcome, error) {
	batch, again, herr := w.handBack(env, batch)
	if len(batch) == 0 {
		return again, herr
	}
	claim, backed := 0, 0
	if fresh {
		claim, backed = w.reserveClaim(env, len(batch))
	}
	left, err := w.record(env, batch, claim, backed)
	return append(left, again...), cmp.Or(err, herr)
}

// reserveClaim counts the slots a batch of n outcomes frees for a claim riding
// on its acknowledgement (0 when shutting down, paused or the queue ran dry),
// and reserves them until the claim's reply is in.
func (w *Worker) reserveClaim(env runEnv, n int) (claim, backed int) {
	if env.ctx.Err() != nil || w.holding() || !w.more.Load() {
		return 0, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Free slots are those neither held nor promised; a claim backed by an
	// acker's own batch takes no free slot, as that batch is acked before the
	// claim in the same pipeline (batches of other ackers may land later).
	claim = max(w.cfg.Concurrency-len(w.held)-(w.reserved-w.backed)+n, 0)
	backed = min(claim, n)
	w.reserved += claim
	w.backed += backed
	return claim, backed
}

// record sends one round trip of outcomes (with a claim of up to claim tasks
// when claim > 0, reserved by reserveClaim) and returns the outcomes to send
// again (a Redis error) and the first outcome's error, for the log.
func (w *Worker) record(env runEnv, pending []queue.Outcome, claim, backed int) ([]queue.Outcome, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(env.ctx), 10*time.Second)
	var errs []error
	var claimed []queue.Claimed
	var cerr error
	if claim > 0 {
		errs, claimed, cerr = w.q.FinishClaim(ctx, pending, w.cfg.ID, claim)
		w.more.Store(cerr == nil && len(claimed) == claim)
	} else {
		errs = w.q.Finish(ctx, pending)
	}
	cancel()
	w.mu.Lock()
	retry, recorded := w.settle(pending, errs)
	var back []queue.Claimed
	if claim > 0 {
		w.reserved -= claim
		w.backed -= backed
		// The claim counted every slot of the batch as freed; outcomes left to
		// retry still hold theirs, so hand back as many claimed tasks.
		if over := len(claimed) - max(claim-len(retry), 0); over > 0 {
			claimed, back = claimed[:len(claimed)-over], claimed[len(claimed)-over:]
		}
		for _, t := range claimed {
			w.held[t.ID] = t
		}
	}
	free := w.cfg.Concurrency - len(w.held) - (w.reserved - w.backed)
	w.mu.Unlock()
	if w.cfg.OnOutcome != nil {
		for _, o := range recorded {
			w.cfg.OnOutcome(o)
		}
	}
	w.start(env, claimed)
	w.release(back)
	if cerr != nil {
		w.log.Warn("claim with ack failed", "err", cerr)
	}
	if free > 0 {
		w.nudge()
	}
	return retry, errs[0]
}

// settle drops the recorded outcomes and those whose lease was lost from the
// held tasks and returns the outcomes to send again and the recorded ones.
// w.mu is held.
func (w *Worker) settle(pending []queue.Outcome, errs []error) (retry, recorded []queue.Outcome) {
	for i, err := range errs {
		o := pending[i]
		switch {
		case err == nil:
			delete(w.held, o.Task.ID)
			recorded = append(recorded, o)
		case errors.Is(err, queue.ErrLeaseLost):
			w.log.Warn("result dropped: lease lost", "task", o.Task.ID)
			delete(w.held, o.Task.ID)
		default:
			retry = append(retry, o)
		}
	}
	return retry, recorded
}

// handBack releases the tasks whose handler failed only because Redis was out
// of reach (queue.IsUnavailable: the input could not be read, say): the outage
// is not the task's fault, so it goes back to pending without using an attempt
// rather than recording a failed one. Redis may still be down: a release that
// does not get through is returned in again, for the acker's carry to try
// later like an acknowledgement (a few times only once the worker is
// stopping, see carry); if it never gets through, the lease lapses and
// recovery requeues the task. It returns the other outcomes too.
func (w *Worker) handBack(env runEnv, batch []queue.Outcome) (rest, again []queue.Outcome, err error) {
	rest = batch[:0:0]
	for _, o := range batch {
		if o.Err == nil || !queue.IsUnavailable(o.Err) {
			rest = append(rest, o)
			continue
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(env.ctx), 10*time.Second)
		rerr := w.q.Release(ctx, w.cfg.ID, o.Task)
		cancel()
		if rerr != nil && !errors.Is(rerr, queue.ErrLeaseLost) {
			again = append(again, o)
			err = cmp.Or(err, rerr)
			continue
		}
		w.log.Warn("task handed back, no attempt used: redis was unavailable", "task", o.Task.ID, "cause", o.Err, "release", rerr)
		w.forget(o.Task.ID)
	}
	return rest, again, err
}

// release hands claimed tasks straight back to pending (see finish).
func (w *Worker) release(tasks []queue.Claimed) {
	for _, t := range tasks {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := w.q.Release(ctx, w.cfg.ID, t); err != nil {
			w.log.Warn("release", "task", t.ID, "err", err)
		}
		cancel()
	}
}

// heartbeatLoop keeps the worker registered and its leases extended (the beat
// also brings the shared failure-injection rate and teaching pace). The queue's housekeeping has
// its own goroutine (queue.Housekeeper, started by Run).
func (w *Worker) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(max(w.cfg.Heartbeat, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.beat(ctx)
	}
}

func (w *Worker) beat(ctx context.Context) {
	w.mu.Lock()
	busy := len(w.held) > 0
	held := make([]string, 0, len(w.held))
	for id, c := range w.held {
		if w.stuckClaim(c) {
			continue // cannot be stopped: let its lease lapse (see markStuck)
		}
		held = append(held, id)
	}
	w.mu.Unlock()
	state := queue.WorkerIdle
	switch {
	case w.holding():
		state = queue.WorkerPaused
	case busy:
		state = queue.WorkerBusy
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sh, err := w.q.Heartbeat(cctx, w.info, state, held)
	if err == nil || errors.Is(err, queue.ErrWorkerGone) {
		w.pace.Store(int64(sh.Pace))
		if w.queuePaused.Swap(sh.Paused) && !sh.Paused {
			w.nudge() // resumed: claim now, not at the fetcher's next look
		}
		if w.cfg.OnFailRate != nil {
			w.cfg.OnFailRate(sh.FailRate)
		}
	}
	if errors.Is(err, queue.ErrWorkerGone) {
		// We were silent too long (a frozen laptop, a cut network): our tasks went
		// to others. Join again; results for them will be refused.
		w.log.Warn("declared gone; registering again")
		if err := w.q.Register(cctx, w.info); err != nil {
			w.log.Warn("register again", "err", err)
		}
	} else if err != nil {
		w.log.Warn("heartbeat", "err", err)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// outputOf is the "output" of a handler's JSON result (an image handler's
// Result), for the course's result:<id> output_path; "" for anything else.
func outputOf(result []byte) string {
	if len(result) == 0 || result[0] != '{' {
		return ""
	}
	var r struct {
		Output string `json:"output"`
	}
	_ = json.Unmarshal(result, &r)
	return r.Output
}
