package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
)

// Fault 12.1: enqueues fill a noeviction Redis to its maxmemory (what SCALING.md
// recommends). Enqueue is refused with a clear message; every script that frees
// memory or moves ids (claim, complete, heartbeat, housekeeping) still runs, so
// workers started then drain every acknowledged task to completed.
func TestFaultRedisFullDrains(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory", "5mb", "--maxmemory-policy", "noeviction"}})
	dir := t.TempDir()
	q := newQueue(t, srv, "drain")
	admin := srv.Client(t)

	var ids []string
	refused := ""
	for i := 0; i < 200 && refused == ""; i++ {
		out, code := Run(t, srv, dir, "enqueue", "--queue", "drain", "--count", "8", "--size", "320x240")
		ids = append(ids, parseIDs(out)...)
		if code != 0 {
			if !strings.Contains(out, "Redis is out of memory") {
				t.Fatalf("enqueue into a full Redis: no clear error:\n%s", out)
			}
			refused = firstLine(lastLines(out, 1))
		}
	}
	if refused == "" {
		t.Fatalf("Redis never filled up after %d tasks", len(ids))
	}
	used := usedMemory(t, admin)
	t.Logf("filled: %d tasks acknowledged, used_memory %d bytes (maxmemory 5 MiB); enqueue refused: %s", len(ids), used, refused)
	checkConsistent(t, q, admin)

	// Still full: another enqueue is refused, clearly, before any worker runs.
	if out, code := Run(t, srv, dir, "enqueue", "--queue", "drain", "--count", "1", "--size", "320x240"); code == 0 || !strings.Contains(out, "Redis is out of memory") {
		t.Fatalf("enqueue into a full Redis: exit %d\n%s", code, out)
	}

	start := time.Now()
	Start(t, srv, dir, "worker", "--queue", "drain", "--id", "d0", "--concurrency", "2")
	Start(t, srv, dir, "worker", "--queue", "drain", "--id", "d1", "--concurrency", "2")
	s := waitFinished(t, q, int64(len(ids)), 90*time.Second)
	if s.Totals.Enqueued != int64(len(ids)) {
		t.Fatalf("totals say %d enqueued, %d acknowledged", s.Totals.Enqueued, len(ids))
	}
	claims := checkAllCompleted(t, q, ids)
	reruns := 0
	for _, ws := range claims {
		if len(ws) > 1 {
			reruns += len(ws) - 1
		}
	}
	evs := allEvents(t, q)
	t.Logf("redis full: %d tasks drained to completed in %s by 2 workers; tasks lost 0, completed twice 0, re-runs %d; used_memory after %d bytes; events %v",
		len(ids), time.Since(start).Round(100*time.Millisecond), reruns, usedMemory(t, admin), countKinds(evs))
	if s.Failed != 0 {
		t.Fatalf("%d tasks dead-lettered while draining", s.Failed)
	}
	// Memory was freed: enqueue works again.
	more := enqueueIDs(t, srv, dir, "--queue", "drain", "--count", "2", "--size", "32x24")
	waitFinished(t, q, int64(len(ids)+len(more)), 30*time.Second)
}
