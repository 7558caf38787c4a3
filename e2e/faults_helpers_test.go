package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// Helpers shared by the fault-injection, bad-input, ACL and cluster tests.

// StartEnv runs imgq with args in dir and extra environment (no REDIS_URL of its own).
func StartEnv(t *testing.T, env []string, dir string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.Cmd.Dir = dir
	p.Cmd.Env = append(append(os.Environ(), "REDIS_URL="), env...)
	p.Cmd.Stdout = lockedWriter{p}
	p.Cmd.Stderr = lockedWriter{p}
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start imgq %v: %v", args, err)
	}
	go func() { p.status = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("imgq %v output:\n%s", args, p.Output())
		}
	})
	return p
}

// RunEnv is Run with an explicit environment.
func RunEnv(t *testing.T, env []string, dir string, args ...string) (string, int) {
	t.Helper()
	p := StartEnv(t, env, dir, args...)
	code := p.Wait(t, 60*time.Second)
	return p.Output(), code
}

// enqueueIDs runs `imgq enqueue args...` and returns the ids it acknowledged
// (the first column of each line it printed), failing the test on a non-zero exit.
func enqueueIDs(t *testing.T, srv *redistest.Server, dir string, args ...string) []string {
	t.Helper()
	out, code := Run(t, srv, dir, append([]string{"enqueue"}, args...)...)
	if code != 0 {
		t.Fatalf("enqueue %v: exit %d\n%s", args, code, out)
	}
	return parseIDs(out)
}

func parseIDs(out string) []string {
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "task-") {
			ids = append(ids, f[0])
		}
	}
	return ids
}

// allEvents reads the whole events stream, oldest first.
func allEvents(t *testing.T, q *queue.Queue) []queue.Event {
	t.Helper()
	var out []queue.Event
	after := "0"
	for {
		evs, err := q.ReadEvents(context.Background(), after, 1000, 0)
		if err != nil {
			t.Fatalf("read events: %v", err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].ID
	}
}

// waitFinished waits until completed+failed totals reach n, polling stats.
func waitFinished(t *testing.T, q *queue.Queue, n int64, d time.Duration) queue.Stats {
	t.Helper()
	deadline := time.Now().Add(d)
	var s queue.Stats
	var err error
	for {
		s, err = q.Stats(context.Background())
		if err == nil && s.Totals.Completed+s.Failed >= n && s.Processing == 0 && s.PendingTotal() == 0 && s.Retry == 0 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: want %d finished; stats %+v (err %v)", d, n, s, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAllCompleted checks that every id is completed, with exactly one
// completed event, and returns the claims of each task (worker ids, in order).
func checkAllCompleted(t *testing.T, q *queue.Queue, ids []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	evs := allEvents(t, q)
	completed := map[string]int{}
	claims := map[string][]string{}
	for _, e := range evs {
		switch e.Kind {
		case queue.EventCompleted:
			completed[e.Task]++
		case queue.EventClaimed:
			claims[e.Task] = append(claims[e.Task], e.Worker)
		}
	}
	lost := 0
	for _, id := range ids {
		info, err := q.Task(ctx, id)
		if err != nil || info.Status != queue.StatusCompleted {
			lost++
			if lost <= 5 {
				t.Errorf("task %s: status %q err %v (error field %q)", id, info.Status, err, info.Error)
			}
			continue
		}
		if completed[id] != 1 {
			t.Errorf("task %s has %d completed events, want exactly 1", id, completed[id])
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged tasks are not completed", lost, len(ids))
	}
	return claims
}

// countKinds counts events by kind.
func countKinds(evs []queue.Event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.Kind]++
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
