package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `imgq bench course` in a tiny configuration, run as a user runs it: the real
// binary (built here), its own real redis-server, the embedded course worker
// under a python3 with redis and PIL (as e2e/course_test.go needs: it fails,
// never skips, without one). It checks what the report counts — both sides ran,
// every task completed exactly once, on every run of the demos too — never how
// fast anything ran.
func TestBenchCourseJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, _, err := findCoursePython(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: install Debian's redis-server (apt-get install redis-server)")
	}
	exe := filepath.Join(t.TempDir(), "imgq")
	build := exec.CommandContext(ctx, "go", "build", "-o", exe, "github.com/imgq/imgq")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build imgq: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "bench", "course", "--sizes", "64x48,40x30", "--images", "4", "--procs", "2",
		"--reps", "1", "--demo-size", "48x32", "--json")
	cmd.Dir = t.TempDir() // the scripts come from the binary, not from this folder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("imgq bench course: %v\nstderr:\n%s", err, stderr.String())
	}
	var rep CourseReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if rep.Procs != 2 || rep.Reps != 1 || rep.Filters != "brightness:1.8,blur:2,grayscale" || rep.Python == "" ||
		!strings.Contains(rep.Versions, "Pillow") || !strings.Contains(rep.Compared, "course workers") ||
		rep.Machine.RedisVersion == "" || len(rep.Sizes) != 2 || rep.Demos == nil {
		t.Fatalf("report %+v", rep)
	}
	check := func(what string, r CourseRun, side string, procs, tasks int) {
		t.Helper()
		total := 0
		for _, n := range r.PerWorker {
			total += n
		}
		if r.Side != side || r.Procs != procs || r.Tasks != tasks || r.Completed != tasks || r.Failed != 0 ||
			r.Duplicates != 0 || total != tasks || len(r.PerWorker) > procs || r.Seconds < 0 || r.ImagesPerSec < 0 {
			t.Errorf("%s: %+v; want %d tasks completed once each by %d %s workers", what, r, tasks, procs, side)
		}
		for id := range r.PerWorker {
			if want := map[string]string{SideCourse: "py-", SideImgq: "imgq-"}[side]; !strings.HasPrefix(id, want) {
				t.Errorf("%s: a task completed by %q, not by a %s worker", what, id, side)
			}
		}
	}
	for i, want := range []string{"64x48", "40x30"} {
		s := rep.Sizes[i]
		if s.Size != want || s.Images != 4 || len(s.Course) != 1 || len(s.Imgq) != 1 || len(s.Ratios) != 1 {
			t.Fatalf("size %s: %+v", want, s)
		}
		check(want+" course", s.Course[0], SideCourse, 2, 4)
		check(want+" imgq", s.Imgq[0], SideImgq, 2, 4)
		if s.Course[0].First == s.Imgq[0].First {
			t.Errorf("%s: both sides went first (or neither): %+v %+v", want, s.Course[0], s.Imgq[0])
		}
	}
	d := rep.Demos
	if d.Size != "48x32" || d.Tasks != 15 || d.Procs != 2 || d.Lesson.Speedup != 3 {
		t.Fatalf("demos %+v", d)
	}
	for _, side := range []struct {
		name string
		s    CourseDemoSide
	}{{SideCourse, d.Course}, {SideImgq, d.Imgq}} {
		if len(side.s.Runs) != 3 {
			t.Fatalf("%s demos: %d runs, want basic, solo and distributed", side.name, len(side.s.Runs))
		}
		for i, want := range []struct{ procs, tasks int }{{1, 3}, {1, 15}, {2, 15}} {
			check(side.name+" demo", side.s.Runs[i], side.name, want.procs, want.tasks)
		}
	}
	// The table form names what is compared and the lesson's figures.
	var tab bytes.Buffer
	rep.WriteTable(&tab)
	for _, want := range []string{"compared: 2 course workers", "IMGQ/COURSE", "64x48", "lesson (published)", "imgq workers, here"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
}
