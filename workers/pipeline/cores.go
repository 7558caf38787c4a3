package pipeline

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Cores is the thread budget shared by the images a process works on at
// once. Each image in Process holds one thread (the goroutine that runs it);
// a parallel step (row bands, decoder bands, encoder strips) borrows helper
// threads for its duration and gives them back, so:
//
//   - a worker with fewer busy slots than cores spreads the image it has
//     over the idle cores (one busy slot on 2 cores: 2 threads per step);
//   - a worker whose slots are all busy borrows nothing, and every image
//     runs on its own thread: no oversubscription, no extra goroutines.
//
// A step never takes more than its fair share, size/busy images, so a task
// that starts while another is in a parallel step still gets its turn at
// the next step (steps last a few milliseconds).
type Cores struct {
	n    int // 0: runtime.GOMAXPROCS(0) at each look
	mu   sync.Mutex
	held int // threads in use: one per image in Process, plus borrowed ones
	busy int // images in Process
}

// NewCores returns a budget of n threads (n <= 0: GOMAXPROCS, read at each
// step). One budget is meant to be shared by every Process call of a
// process; Options.Cores nil uses such a process-wide one.
func NewCores(n int) *Cores { return &Cores{n: max(n, 0)} }

// processCores is the budget of Process calls whose Options.Cores is nil,
// and of Apply calls outside Process.
var processCores = NewCores(0)

func (c *Cores) size() int {
	if c.n > 0 {
		return c.n
	}
	return runtime.GOMAXPROCS(0)
}

// Busy is the number of images being processed with this budget.
func (c *Cores) Busy() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy
}

// enter registers an image, which holds one thread until leave.
func (c *Cores) enter() {
	c.mu.Lock()
	c.busy++
	c.held++
	c.mu.Unlock()
}

func (c *Cores) leave() {
	c.mu.Lock()
	c.busy--
	c.held--
	c.mu.Unlock()
}

// borrow takes up to want helper threads: no more than are idle, and no
// more than the caller's fair share minus the thread it already has.
func (c *Cores) borrow(want int) int {
	if want <= 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.size()
	share := max(n/max(c.busy, 1), 1)
	k := max(min(want, n-c.held, share-1, n-1), 0)
	c.held += k
	return k
}

func (c *Cores) giveBack(k int) {
	if k == 0 {
		return
	}
	c.mu.Lock()
	c.held -= k
	c.mu.Unlock()
}

// budget is what one image may use: its Cores, and a cap on its threads
// (Options.Threads; 0: none). It travels in the context so that the filters'
// signatures need not change.
type budget struct {
	cores   *Cores
	threads int
}

type budgetKey struct{}

func withBudget(ctx context.Context, b budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

func budgetOf(ctx context.Context) budget {
	if b, ok := ctx.Value(budgetKey{}).(budget); ok {
		return b
	}
	return budget{cores: processCores}
}

// helpers borrows up to want helper threads for one step, within the cap.
// The caller gives them back with b.cores.giveBack.
func (b budget) helpers(want int) int {
	if b.threads > 0 {
		want = min(want, b.threads-1)
	}
	return b.cores.borrow(want)
}

// parallelTasks runs task(0..n-1), on the calling goroutine and on as many
// helper goroutines as the budget lends (at most n-1), which all end before
// it returns. Tasks are handed out in order, one at a time.
func parallelTasks(ctx context.Context, n int, task func(i int)) {
	if n <= 0 {
		return
	}
	b := budgetOf(ctx)
	k := b.helpers(n - 1)
	if k == 0 {
		for i := range n {
			task(i)
		}
		return
	}
	defer b.cores.giveBack(k)
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			task(i)
		}
	}
	var wg sync.WaitGroup
	for range k {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
