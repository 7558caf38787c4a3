package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redistest"
)

// The course's two demos, end to end against a real redis-server.
func TestCourseDemos(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	out, code := Run(t, srv, dir, "demo", "basic", "--size", "64x48")
	if code != 0 {
		t.Fatalf("demo basic exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Enqueued 3 tasks",
		"Queue stats:  pending 0  processing 0  completed 3  failed 0",
		"Worker stats: completed 3  failed 0  success rate 100%",
		"image_processing:completed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo basic output lacks %q:\n%s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`→ output/task-[0-9a-f]+_image_0[1-3]\.jpg  64x48`).FindAllString(out, -1)); n != 3 {
		t.Errorf("demo basic lists %d output files, want 3:\n%s", n, out)
	}

	out, code = Run(t, srv, dir, "demo", "distributed", "--workers", "2", "--tasks", "6", "--size", "64x48")
	if code != 0 {
		t.Fatalf("demo distributed exit %d:\n%s", code, out)
	}
	m := regexp.MustCompile(`Tasks/worker:  demo-w1=(\d+)  demo-w2=(\d+)`).FindStringSubmatch(out)
	if m == nil || atoi(m[1])+atoi(m[2]) != 6 {
		t.Fatalf("tasks per worker should add up to 6:\n%s", out)
	}
	for _, want := range []string{"completed 6  failed 0", "Speedup:", "Efficiency:", "Throughput:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo distributed output lacks %q:\n%s", want, out)
		}
	}
}

// A demo starts by flushing its queue, as the course's did: it refuses a queue
// that others are using unless told, and leaves their work alone.
func TestDemoDoesNotWipeAQueueInUse(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	if out, code := Run(t, srv, dir, "enqueue", "--count", "2", "--size", "32x32"); code != 0 {
		t.Fatalf("enqueue: %d %s", code, out)
	}
	out, code := Run(t, srv, dir, "demo", "basic", "--size", "32x32")
	if code != 2 || !strings.Contains(out, "queue image_processing is in use (2 task(s) waiting or running") || !strings.Contains(out, "--yes") {
		t.Fatalf("demo on a busy queue: exit %d\n%s", code, out)
	}
	q := newQueue(t, srv, "image_processing")
	if st, err := q.Stats(t.Context()); err != nil || st.PendingTotal() != 2 {
		t.Fatalf("the others' tasks: %+v %v", st, err)
	}
	if out, code := Run(t, srv, dir, "demo", "basic", "--size", "32x32", "--queue", "demo"); code != 0 || !strings.Contains(out, "completed 3") {
		t.Fatalf("demo on its own queue: exit %d\n%s", code, out)
	}
	if out, code := Run(t, srv, dir, "demo", "basic", "--size", "32x32", "--yes"); code != 0 {
		t.Fatalf("demo --yes: exit %d\n%s", code, out)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
