package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// Fault 1, the worker crash loop: 500 tasks, 4 worker processes; every 300 ms a
// random worker is SIGKILLed and a new one started, 20 times. Every task ends
// completed exactly once in Redis (one completed event, status completed); a task
// runs more than once only when a worker that had claimed it was killed (or its
// late ack was refused), and the test reports how many did.
func TestFaultWorkerCrashLoop(t *testing.T) {
	const (
		tasks   = 500
		workers = 4
		kills   = 20
	)
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "crashloop")
	ids := enqueueIDs(t, srv, dir, "--queue", "crashloop", "--count", fmt.Sprint(tasks), "--size", "32x24", "--filters", "grayscale")
	if len(ids) != tasks {
		t.Fatalf("enqueue acknowledged %d ids, want %d", len(ids), tasks)
	}

	n := 0
	start := func() *Proc {
		n++
		return Start(t, srv, dir, "worker", "--queue", "crashloop", "--id", fmt.Sprintf("w%02d", n),
			"--delay", "40ms", "--lease", "3s", "--worker-timeout", "3s", "--heartbeat", "500ms")
	}
	live := make([]*Proc, 0, workers)
	for range workers {
		live = append(live, start())
	}
	killed := map[string]bool{}
	for k := range kills {
		time.Sleep(300 * time.Millisecond)
		i := rand.IntN(len(live))
		live[i].Kill()
		killed[fmt.Sprintf("w%02d", idOf(live[i]))] = true
		live[i] = start()
		_ = k
	}
	t.Logf("killed %d workers with SIGKILL, started %d in all", kills, n)

	s := waitFinished(t, q, tasks, 120*time.Second)
	if s.Failed > 0 {
		// A task whose three attempts all died with their workers is dead-lettered
		// ("lease expired on the last attempt"), which is the design; it is not lost:
		// requeue brings it back.
		fails, _ := q.FailedTasks(context.Background(), 0, 100)
		for _, f := range fails {
			t.Logf("dead-lettered by the crashes: %s (%s), requeueing", f.ID, f.Error)
		}
		out, code := Run(t, srv, dir, "requeue", "--queue", "crashloop", "--all")
		if code != 0 {
			t.Fatalf("requeue: %s", out)
		}
		waitFinished(t, q, tasks, 60*time.Second)
	}
	claims := checkAllCompleted(t, q, ids)

	evs := allEvents(t, q)
	refused := map[string]map[string]bool{} // task -> workers whose ack was refused
	for _, e := range evs {
		if e.Kind == queue.EventLeaseRefused {
			if refused[e.Task] == nil {
				refused[e.Task] = map[string]bool{}
			}
			refused[e.Task][e.Worker] = true
		}
	}
	dups := 0
	for _, id := range ids {
		c := claims[id]
		if len(c) > 1 {
			dups++
		}
		// Every claim but the last must have ended with a crash of its worker or
		// a refused (fenced) ack: no live worker silently lost a task.
		for _, w := range c[:max(len(c)-1, 0)] {
			if !killed[w] && !refused[id][w] {
				t.Errorf("task %s was claimed by %s, which was neither killed nor refused, then again: %v", id, w, c)
			}
		}
	}
	k := countKinds(evs)
	t.Logf("crash loop: %d tasks, %d completed, 0 lost; %d ran more than once (claimed by a worker that was then killed), "+
		"%d acks refused, %d recovered, %d workers declared gone", tasks, k[queue.EventCompleted], dups,
		k[queue.EventLeaseRefused], k[queue.EventRecovered], k[queue.EventWorkerGone])
	if dups > kills+k[queue.EventLeaseRefused] {
		t.Errorf("%d tasks ran twice, more than the %d kills plus %d refused acks can explain", dups, kills, k[queue.EventLeaseRefused])
	}
}

func idOf(p *Proc) int {
	for i, a := range p.Cmd.Args {
		if a == "--id" && i+1 < len(p.Cmd.Args) {
			var n int
			fmt.Sscanf(p.Cmd.Args[i+1], "w%d", &n)
			return n
		}
	}
	return -1
}
