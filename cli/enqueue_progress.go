package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/internal/bench"
)

// enqueueProgress draws a bar on stderr while files are enqueued, only when
// stderr is a terminal (never in scripts, tests or a pipe) and only once the
// run has lasted a second (a quick run prints just its summary).
type enqueueProgress struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

func startEnqueueProgress(t *termLines, total int64, done *atomic.Int64) *enqueueProgress {
	p := &enqueueProgress{quit: make(chan struct{})}
	if !isTerminal(t.w) {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		start := time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var bar *bench.Progress
		for {
			select {
			case <-p.quit:
				if bar != nil {
					t.mu.Lock()
					bar.Done()
					t.bar = false
					t.mu.Unlock()
				}
				return
			case <-tick.C:
				if bar == nil && time.Since(start) < time.Second {
					continue
				}
				t.mu.Lock()
				if bar == nil {
					bar = bench.NewProgress(t.w, "enqueue", total)
				}
				bar.Set(done.Load())
				t.bar = true
				t.mu.Unlock()
			}
		}
	}()
	return p
}

// stop ends the bar's goroutine and its line.
func (p *enqueueProgress) stop() {
	close(p.quit)
	p.wg.Wait()
}

// isTerminal: w is a character device (a terminal; not a file or a pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
