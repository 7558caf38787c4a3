package workers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/imgq/imgq/queue"
)

// Pool runs embedded workers inside one process (the dashboard's), each a full
// worker registered in Redis with concurrency 1, as in the course, so the class
// sees work spread over w1, w2, w3. Scale adds or removes workers live.
type Pool struct {
	q      *queue.Queue
	base   Config // template; ID is derived per worker
	prefix string

	mu      sync.Mutex
	ctx     context.Context
	workers []*poolWorker
	next    int
	paused  bool
	wg      sync.WaitGroup
}

type poolWorker struct {
	w      *Worker
	cancel context.CancelFunc
}

// NewPool returns a pool whose workers use cfg (ID ignored) and run until ctx ends.
func NewPool(ctx context.Context, q *queue.Queue, cfg Config) *Pool {
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	return &Pool{q: q, base: cfg, ctx: ctx, prefix: sanitizeID(host)}
}

// Size is the number of running workers.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.workers)
}

// Scale sets the number of workers. Removed workers stop gracefully: they finish
// (or hand back) their task first.
func (p *Pool) Scale(n int) error {
	if n < 0 || n > 256 {
		return fmt.Errorf("scale to %d: choose 0 to 256 workers", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return errors.New("scale: the pool is stopping")
	}
	for len(p.workers) < n {
		p.next++
		n := p.next
		cfg := p.base
		cfg.ID = fmt.Sprintf("%s-w%d", p.prefix, p.next)
		if cfg.Concurrency <= 0 {
			cfg.Concurrency = 1
		}
		w, err := New(p.q, cfg)
		if err != nil {
			return err
		}
		w.SetPaused(p.paused)
		ctx, cancel := context.WithCancel(p.ctx)
		p.workers = append(p.workers, &poolWorker{w: w, cancel: cancel})
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			cur := w
			err := w.Run(ctx)
			if errors.Is(err, queue.ErrIDTaken) {
				// Another dashboard on this host already runs host-wN: take an id
				// with our pid in it instead.
				if w2, err2 := New(p.q, withID(cfg, fmt.Sprintf("%s-%d-w%d", p.prefix, os.Getpid(), n))); err2 == nil {
					p.replace(w, w2)
					cur = w2
					err = w2.Run(ctx)
				}
			}
			if err != nil {
				if cfg.Logger != nil {
					cfg.Logger.Warn("embedded worker ended", "worker", cfg.ID, "err", err)
				}
				p.remove(cur)
			}
		}()
	}
	for len(p.workers) > n {
		last := p.workers[len(p.workers)-1]
		p.workers = p.workers[:len(p.workers)-1]
		last.cancel()
	}
	return nil
}

func withID(c Config, id string) Config {
	c.ID = id
	return c
}

// replace swaps a worker that could not start for its successor, keeping its slot.
func (p *Pool) replace(old, w *Worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pw := range p.workers {
		if pw.w == old {
			w.SetPaused(p.paused)
			pw.w = w
		}
	}
}

func (p *Pool) remove(w *Worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, pw := range p.workers {
		if pw.w == w {
			p.workers = append(p.workers[:i], p.workers[i+1:]...)
			return
		}
	}
}

// SetPaused pauses or resumes every worker (new ones inherit it).
func (p *Pool) SetPaused(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = paused
	for _, pw := range p.workers {
		pw.w.SetPaused(paused)
	}
}

// Paused reports whether the pool is paused.
func (p *Pool) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// Wait blocks until every worker has stopped (after the pool's context ends).
func (p *Pool) Wait() { p.wg.Wait() }

// sanitizeID keeps a host name usable as part of a worker id.
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && r > ' ' && !strings.ContainsRune(":{}*?[]\\", r) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "imgq"
	}
	return b.String()
}
