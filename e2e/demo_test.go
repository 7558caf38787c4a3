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

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
