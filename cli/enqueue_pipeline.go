package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/queue"
)

// The enqueue pipeline: a dispatcher stats each file in order and reserves its
// bytes from a budget; a pool of workers (one per core) reads, inspects and
// builds the tasks; a batcher puts them back in order and cuts batches; a few
// senders give each batch to Redis (queue.EnqueueBatchResults); the caller
// reports the batches in order. Memory is bounded by the budget (bytes read
// and not yet in Redis), not by the number of files; the order of the tasks
// in each batch, of the batches handed to the senders and of every line
// printed is the order given. One sender: a second one bought nothing against
// a local Redis (the server is the bottleneck; docs/BENCHMARKS.md section 10)
// and one keeps the pending list in the order given, batch after batch.
const (
	enqBudgetBytes = 64 << 20 // file bytes read and not yet acknowledged by Redis
	enqBatchBytes  = 8 << 20  // a batch is cut at this many bytes ...
	enqBatchTasks  = 512      // ... or tasks: one pipelined round trip, far under the 3 s write timeout
	enqSenders     = 1        // batches at Redis at once; the next is built meanwhile
)

// errInterrupted marks the files not enqueued because the run was stopped.
var errInterrupted = errors.New("interrupted before it was enqueued (run the same command again: nothing is enqueued twice)")

// enqBatch is a run of consecutive items; the ones without an error are sent.
type enqBatch struct {
	seq      int
	items    []*enqItem
	reserved int64
	results  map[int]queue.EnqueueResult // by item index, for the items sent
	redis    time.Duration
}

// enqStages sums the time each stage's goroutines spent working.
type enqStages struct {
	read, inspect, redis atomic.Int64 // nanoseconds
	batches              atomic.Int64
	workers, senders     int
	serverCPU            time.Duration // INFO cpu after less before; 0 if unknown
}

type enqPipeline struct {
	ft      *fileTasker
	files   []string
	budget  *byteBudget
	stages  *enqStages
	workers int
	send    func(ctx context.Context, ts []queue.NewTask) ([]queue.EnqueueResult, error)
}

func newEnqPipeline(ft *fileTasker, files []string, send func(context.Context, []queue.NewTask) ([]queue.EnqueueResult, error)) *enqPipeline {
	w := max(2, runtime.GOMAXPROCS(0))
	return &enqPipeline{ft: ft, files: files, budget: newByteBudget(enqBudgetBytes), send: send, workers: w,
		stages: &enqStages{workers: w, senders: enqSenders}}
}

// run starts the stages and calls report with each batch, in order, from the
// caller's goroutine; it returns when every goroutine it started has ended.
// Cancelling ctx stops reading new files; batches already handed to Redis
// finish (their results are known, so nothing is reported wrongly), and the
// files never sent are reported with errInterrupted.
func (p *enqPipeline) run(ctx context.Context, report func(*enqBatch)) {
	jobs := make(chan *enqItem, p.workers)
	built := make(chan *enqItem, p.workers)
	batches := make(chan *enqBatch)
	sent := make(chan *enqBatch, enqSenders)
	var wg sync.WaitGroup
	wg.Go(func() { p.dispatch(ctx, jobs) })
	// The batcher reads built until it is closed, the caller sent.
	wg.Go(func() { stage(p.workers, jobs, built, func(it *enqItem) { p.buildOne(ctx, it) }) })
	wg.Go(func() { p.batch(built, batches) })
	wg.Go(func() { stage(enqSenders, batches, sent, func(b *enqBatch) { p.sendOne(ctx, b) }) })

	// Batches come back out of order when two senders overlap; print in order.
	pending := map[int]*enqBatch{}
	next := 0
	for b := range sent {
		pending[b.seq] = b
		for b, ok := pending[next]; ok; b, ok = pending[next] {
			delete(pending, next)
			report(b)
			next++
		}
	}
	wg.Wait()
}

// dispatch stats each file in order and reserves its bytes before a worker
// reads it. Reserving in order is what keeps the reordering deadlock-free: the
// oldest file not yet batched always has its bytes reserved already.
func (p *enqPipeline) dispatch(ctx context.Context, jobs chan<- *enqItem) {
	defer close(jobs)
	for i, f := range p.files {
		it := &enqItem{idx: i, path: f}
		if ctx.Err() != nil {
			it.err = errInterrupted
		} else {
			start := time.Now()
			p.ft.stat(it)
			p.stages.read.Add(int64(time.Since(start)))
			// At most the budget less one batch: a partial batch (which
			// holds its bytes until it is cut) never starves the next file.
			it.reserved = min(p.ft.reservation(it), enqBudgetBytes-enqBatchBytes)
			if err := p.budget.acquire(ctx, it.reserved); err != nil {
				it.err, it.reserved = errInterrupted, 0
			}
		}
		jobs <- it // workers read until jobs is closed
	}
}

func (p *enqPipeline) buildOne(ctx context.Context, it *enqItem) {
	if it.err == nil && ctx.Err() != nil {
		it.err = errInterrupted
	}
	p.ft.build(it)
	p.stages.read.Add(int64(it.read))
	p.stages.inspect.Add(int64(it.inspect))
	if it.err != nil {
		// Nothing to send: give its bytes back now.
		p.budget.release(it.reserved)
		it.reserved, it.task.Blob = 0, nil
	}
}

// batch puts the built items back in the order given and cuts batches.
func (p *enqPipeline) batch(built <-chan *enqItem, batches chan<- *enqBatch) {
	defer close(batches)
	waiting := map[int]*enqItem{}
	next, seq := 0, 0
	cur := &enqBatch{}
	for it := range built {
		waiting[it.idx] = it
		for it, ok := waiting[next]; ok; it, ok = waiting[next] {
			delete(waiting, next)
			next++
			cur.items = append(cur.items, it)
			cur.reserved += it.reserved
			if cur.reserved >= enqBatchBytes || len(cur.items) >= enqBatchTasks {
				cur.seq = seq
				batches <- cur // the senders read until batches is closed
				seq++
				cur = &enqBatch{}
			}
		}
	}
	if len(cur.items) > 0 {
		cur.seq = seq
		batches <- cur
	}
}

// sendOne gives a batch's good items to Redis. A batch is sent whole or not
// at all: once sent it runs to its end under its own deadline even if ctx is
// cancelled, so each file's outcome is known; after ctx is cancelled no new
// batch is sent.
func (p *enqPipeline) sendOne(ctx context.Context, b *enqBatch) {
	defer func() {
		p.budget.release(b.reserved)
		b.reserved = 0
		for _, it := range b.items {
			it.task.Blob = nil // the caller keeps the items, not their bytes
		}
	}()
	var tasks []queue.NewTask
	var idx []int
	for _, it := range b.items {
		if it.err == nil {
			tasks = append(tasks, it.task)
			idx = append(idx, it.idx)
		}
	}
	if len(tasks) == 0 {
		return
	}
	if ctx.Err() != nil {
		for _, it := range b.items {
			if it.err == nil {
				it.err = errInterrupted
			}
		}
		return
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	start := time.Now()
	res, err := p.send(sendCtx, tasks)
	if res == nil {
		// Refused before anything was sent (a task the queue will not take,
		// ErrTooLarge): send each alone, so the refusal names its file.
		res = make([]queue.EnqueueResult, len(tasks))
		for i := range tasks {
			one, err1 := p.send(sendCtx, tasks[i:i+1])
			switch {
			case len(one) == 1:
				res[i] = one[0]
			case err1 != nil:
				res[i] = queue.EnqueueResult{ID: tasks[i].ID, Err: err1}
			default:
				res[i] = queue.EnqueueResult{ID: tasks[i].ID, Err: fmt.Errorf("enqueue %s: %w", tasks[i].ID, err)}
			}
		}
	}
	b.redis = time.Since(start)
	p.stages.redis.Add(int64(b.redis))
	p.stages.batches.Add(1)
	b.results = make(map[int]queue.EnqueueResult, len(res))
	for i, r := range res {
		b.results[idx[i]] = r
	}
}

// byteBudget bounds the file bytes held at once. Only the dispatcher
// acquires; workers and senders release.
type byteBudget struct {
	mu   sync.Mutex
	free int64
	wake chan struct{} // closed and replaced on each release
}

func newByteBudget(n int64) *byteBudget {
	return &byteBudget{free: n, wake: make(chan struct{})}
}

func (b *byteBudget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// stage runs fn on every value of in with n goroutines, passing each value on
// to out once done, and closes out when in is closed and drained.
func stage[T any](n int, in <-chan T, out chan<- T, fn func(T)) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for v := range in {
				fn(v)
				out <- v
			}
		})
	}
	wg.Wait()
	close(out)
}
