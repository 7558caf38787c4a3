package workers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/queue"
)

// Config tunes one worker. Zero fields take the defaults shown.
type Config struct {
	ID          string        // registry id; default "<host>-<pid>"
	Concurrency int           // 1: tasks run at once
	Heartbeat   time.Duration // 1s: heartbeat and housekeeping period
	Grace       time.Duration // 10s: on stop, time in-flight tasks get to finish
	Delay       time.Duration // 0: extra time each task takes, to make work visible in class
	Handler     Handler
	// OnFailRate, when set, receives the shared failure-injection rate read from
	// Redis at each heartbeat.
	OnFailRate func(float64)
	Logger     *slog.Logger
}

// Worker claims tasks from a queue and runs them through its handler.
type Worker struct {
	q    *queue.Queue
	cfg  Config
	info queue.WorkerInfo
	log  *slog.Logger

	paused  atomic.Bool
	wake    chan struct{} // nudges the fetcher (a slot freed, unpaused)
	mu      sync.Mutex
	held    map[string]queue.Claimed // in flight, for heartbeats and hand-back
	results chan queue.Outcome
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
		cfg.Heartbeat = time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
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
		results: make(chan queue.Outcome, cfg.Concurrency),
	}, nil
}

// ID is the worker's registry id.
func (w *Worker) ID() string { return w.cfg.ID }

// SetPaused stops (or resumes) claiming new tasks; tasks in flight finish.
func (w *Worker) SetPaused(p bool) {
	w.paused.Store(p)
	w.nudge()
}

// Paused reports whether the worker is paused.
func (w *Worker) Paused() bool { return w.paused.Load() }

func (w *Worker) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run registers the worker and processes tasks until ctx ends. Then it stops
// claiming, gives in-flight tasks Config.Grace to finish, hands the rest back to
// pending, deregisters, and returns nil. Nothing is lost on the way out.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.q.Register(ctx, w.info); err != nil {
		return err
	}
	w.log.Info("worker up", "concurrency", w.cfg.Concurrency)

	// taskCtx outlives ctx by the grace period, so handlers can finish.
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()

	var handlers sync.WaitGroup
	ackDone := make(chan struct{})
	go func() { defer close(ackDone); w.ackLoop() }()
	// One beat before the first claim: it picks up the shared failure-injection
	// rate and recovers what dead workers left, before this one takes work.
	hbCtx, stopHB := context.WithCancel(context.WithoutCancel(ctx))
	w.beat(hbCtx)
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); w.heartbeatLoop(hbCtx) }()

	w.fetchLoop(ctx, taskCtx, &handlers)

	// Stopping: wait for handlers up to the grace period, then cancel the rest;
	// handlers that end by cancellation hand their task back (see run).
	done := make(chan struct{})
	go func() { handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.Grace):
		w.log.Warn("grace period over, handing back unfinished tasks")
		cancelTasks()
		<-done
	}
	close(w.results)
	<-ackDone
	stopHB()
	<-hbDone

	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.q.Deregister(bg, w.info); err != nil {
		w.log.Warn("deregister", "err", err)
	}
	w.log.Info("worker stopped")
	return nil
}

func (w *Worker) inFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.held)
}

// fetchLoop claims as many tasks as there are free slots; when the queue is empty
// it blocks in Redis (WaitForWork) rather than polling.
func (w *Worker) fetchLoop(ctx, taskCtx context.Context, handlers *sync.WaitGroup) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		free := w.cfg.Concurrency - w.inFlight()
		if w.paused.Load() || free <= 0 {
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
		if err != nil {
			w.log.Warn("claim failed, retrying", "err", err, "in", backoff)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(tasks) == 0 {
			if _, err := w.q.WaitForWork(ctx, time.Second); err != nil && ctx.Err() == nil {
				w.log.Warn("wait for work", "err", err)
				sleep(ctx, backoff)
			}
			continue
		}
		w.mu.Lock()
		for _, t := range tasks {
			w.held[t.ID] = t
		}
		w.mu.Unlock()
		for _, t := range tasks {
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				w.run(ctx, taskCtx, t)
			}()
		}
	}
}

// run executes one task and queues its outcome for the acker.
func (w *Worker) run(ctx, taskCtx context.Context, t queue.Claimed) {
	start := time.Now()
	result, err := w.safeHandle(taskCtx, t)
	elapsed := time.Since(start)
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
	w.results <- queue.Outcome{Worker: w.cfg.ID, Task: t, Result: result, Err: err, Elapsed: elapsed}
}

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

func (w *Worker) forget(id string) {
	w.mu.Lock()
	delete(w.held, id)
	w.mu.Unlock()
	w.nudge()
}

// ackLoop records outcomes, batching whatever finished meanwhile into one
// pipelined round trip. A Redis error is retried: the outcome is only dropped
// when the claim is gone (lease lost), in which case another worker owns it.
func (w *Worker) ackLoop() {
	batch := make([]queue.Outcome, 0, 64)
	for o := range w.results {
		batch = append(batch[:0], o)
	drain:
		for len(batch) < cap(batch) {
			select {
			case o, ok := <-w.results:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		w.finish(batch)
	}
}

func (w *Worker) finish(batch []queue.Outcome) {
	pending := batch
	backoff := 50 * time.Millisecond
	for attempt := 0; len(pending) > 0; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs := w.q.Finish(ctx, pending)
		cancel()
		var retry []queue.Outcome
		for i, err := range errs {
			o := pending[i]
			switch {
			case err == nil:
				w.forget(o.Task.ID)
			case errors.Is(err, queue.ErrLeaseLost):
				w.log.Warn("result dropped: lease lost", "task", o.Task.ID)
				w.forget(o.Task.ID)
			default:
				retry = append(retry, o)
			}
		}
		pending = retry
		if len(pending) > 0 {
			if attempt >= 30 {
				// Give up; the leases will lapse and the tasks run again elsewhere.
				w.log.Error("could not record results, leaving them to lease recovery", "tasks", len(pending), "err", errs[0])
				for _, o := range pending {
					w.forget(o.Task.ID)
				}
				return
			}
			time.Sleep(backoff)
			backoff = min(backoff*2, 2*time.Second)
		}
	}
}

// heartbeatLoop keeps the worker registered and its leases extended, runs the
// queue's housekeeping, and picks up the shared failure-injection rate.
//
// Housekeeping runs twice per heartbeat period (one process per period does the
// work, see Queue.Housekeep), so a lapsed lease is noticed within half a
// period: a dead worker's task restarts within lease + heartbeat/2, not
// lease + heartbeat.
func (w *Worker) heartbeatLoop(ctx context.Context) {
	half := max(w.cfg.Heartbeat/2, time.Millisecond)
	t := time.NewTicker(half)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if tick%2 == 0 {
			w.beat(ctx)
		} else {
			w.housekeep(ctx)
		}
	}
}

func (w *Worker) housekeep(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, _, err := w.q.Housekeep(cctx, max(w.cfg.Heartbeat*9/20, time.Millisecond)); err != nil {
		w.log.Warn("housekeeping", "err", err)
	}
}

func (w *Worker) beat(ctx context.Context) {
	w.mu.Lock()
	held := make([]string, 0, len(w.held))
	for id := range w.held {
		held = append(held, id)
	}
	w.mu.Unlock()
	state := queue.WorkerIdle
	switch {
	case w.paused.Load():
		state = queue.WorkerPaused
	case len(held) > 0:
		state = queue.WorkerBusy
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := w.q.Heartbeat(cctx, w.info, state, held)
	if errors.Is(err, queue.ErrWorkerGone) {
		// We were silent too long (a frozen laptop, a cut network): our tasks went
		// to others. Join again; results for them will be refused.
		w.log.Warn("declared gone; registering again")
		if err := w.q.Register(cctx, w.info); err != nil {
			w.log.Warn("register again", "err", err)
		}
	} else if err != nil {
		w.log.Warn("heartbeat", "err", err)
		return
	}
	w.housekeep(ctx)
	if w.cfg.OnFailRate != nil {
		if r, err := w.q.FailRate(cctx); err == nil {
			w.cfg.OnFailRate(r)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
