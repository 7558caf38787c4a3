// Package e2e runs the real imgq binary as separate OS processes against a real
// redis-server: crashes, signals and restarts only mean something there.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imgq-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "imgq")
	_, here, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Dir = filepath.Dir(filepath.Dir(here))
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build imgq: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Proc is one imgq process owned by a test.
type Proc struct {
	Cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
	status error
}

func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

type lockedWriter struct{ p *Proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// Start runs imgq with args, with REDIS_URL pointing at srv, in dir.
func Start(t *testing.T, srv *redistest.Server, dir string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, []string{"REDIS_URL=" + srv.URL()}, dir, args...)
}

// Kill sends SIGKILL, as a crash would, and waits for the process to end.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Wait waits for the process to exit and returns its exit code.
func (p *Proc) Wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("imgq %v still running after %s:\n%s", p.Cmd.Args, d, p.Output())
	}
	if p.Cmd.ProcessState == nil {
		return -1
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Run runs imgq to completion and returns its combined output and exit code.
func Run(t *testing.T, srv *redistest.Server, dir string, args ...string) (string, int) {
	t.Helper()
	p := Start(t, srv, dir, args...)
	code := p.Wait(t, 60*time.Second)
	return p.Output(), code
}

func newQueue(t *testing.T, srv *redistest.Server, name string) *queue.Queue {
	t.Helper()
	q, err := queue.New(srv.Client(t), queue.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// waitEvent waits for the first event matching match, reading the stream from the start.
func waitEvent(t *testing.T, q *queue.Queue, d time.Duration, what string, match func(queue.Event) bool) queue.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	after := "0"
	for {
		evs, err := q.ReadEvents(ctx, after, 100, 200*time.Millisecond)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		for _, e := range evs {
			after = e.ID
			if match(e) {
				return e
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no %s event within %s", what, d)
		}
	}
}
