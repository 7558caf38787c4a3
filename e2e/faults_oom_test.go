package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/workers/pipeline"
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

// Issue 12.6: `imgq enqueue a b c ...` into a Redis that fills up part-way says
// exactly which files were enqueued (their ids on stdout) and which were not
// (named on stderr and in the error, exit 1); the same command run again once
// memory is freed enqueues the rest and duplicates nothing.
func TestFaultPartialEnqueue(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"}})
	dir := t.TempDir()
	q := newQueue(t, srv, "part")
	ctx := context.Background()
	admin := srv.Client(t)
	var files []string
	for i := 0; i < 8; i++ {
		b, err := pipeline.SampleJPEG(1200, 900, int64(i), 100)
		must(t, err)
		name := fmt.Sprintf("photo%d.jpg", i)
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
		files = append(files, name)
	}
	args := append([]string{"enqueue", "--queue", "part"}, files...)
	out, code := Run(t, srv, dir, args...)
	first := parseIDs(out)
	var notEnq []string
	for _, l := range strings.Split(out, "\n") {
		if f, ok := strings.CutPrefix(l, "not enqueued: "); ok {
			notEnq = append(notEnq, strings.SplitN(f, ":", 2)[0])
		}
	}
	if code == 0 || len(first) == 0 || len(notEnq) == 0 || len(first)+len(notEnq) != len(files) {
		t.Fatalf("enqueue of %d files into a filling Redis: exit %d, %d ids, %d not enqueued; want a partial result\n%s",
			len(files), code, len(first), len(notEnq), out)
	}
	last := lastLines(out, 1)
	for _, f := range notEnq {
		if !strings.Contains(last, f) {
			t.Errorf("the final error does not name %s: %s", f, last)
		}
	}
	s, err := q.Stats(ctx)
	must(t, err)
	if s.Totals.Enqueued != int64(len(first)) {
		t.Fatalf("stdout lists %d ids, Redis holds %d tasks", len(first), s.Totals.Enqueued)
	}
	t.Logf("partial enqueue: %d of %d files enqueued (ids on stdout), %d named as not enqueued: %s", len(first), len(files), len(notEnq), firstLine(last))

	must(t, admin.ConfigSet(ctx, "maxmemory", "0").Err())
	out, code = Run(t, srv, dir, args...)
	again := parseIDs(out)
	if code != 0 || len(again) != len(files) {
		t.Fatalf("the same command again: exit %d, %d ids, want %d\n%s", code, len(again), len(files), out)
	}
	sorted := func(ids []string) []string { ids = append([]string(nil), ids...); sort.Strings(ids); return ids }
	seen := map[string]bool{}
	for _, id := range again {
		seen[id] = true
	}
	for _, id := range first {
		if !seen[id] {
			t.Fatalf("the retry gave %s a new id: first %v, again %v", id, sorted(first), sorted(again))
		}
	}
	s, err = q.Stats(ctx)
	must(t, err)
	if s.Totals.Enqueued != int64(len(files)) || s.PendingTotal() != int64(len(files)) {
		t.Fatalf("after the retry: %d enqueued, %d pending; want %d (no duplicates)", s.Totals.Enqueued, s.PendingTotal(), len(files))
	}
	t.Logf("same command again: %d tasks in all for %d files, duplicates 0 (%s)", s.Totals.Enqueued, len(files), firstLine(lastLines(out, 1)))
}
