package bench

// The lesson's two demos, run by `imgq bench course` on both sides with the
// same photos: basic (3 tasks, one worker) and distributed (15 tasks on one
// worker process, then on P: speedup and efficiency), beside the figures the
// lesson published. The timing is the bench's (first enqueue → last
// completed_at, workers up), not the demos' own scripts.

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

const (
	courseDemoTasks  = 15
	courseBasicTasks = 3
)

// CourseDemoSide is one side's demo figures (medians over the reps).
type CourseDemoSide struct {
	BasicSeconds float64     `json:"basic_seconds"` // 3 tasks on 1 worker
	SoloSeconds  float64     `json:"solo_seconds"`  // 15 tasks on 1 worker process (0: not published)
	Seconds      float64     `json:"seconds"`       // 15 tasks on P worker processes
	TasksPerSec  float64     `json:"tasks_per_sec"` // 15 / Seconds
	Speedup      float64     `json:"speedup"`       // SoloSeconds / Seconds
	Efficiency   float64     `json:"efficiency"`    // Speedup / P
	PerWorker    []int       `json:"per_worker"`    // tasks each worker completed, last distributed run
	Runs         []CourseRun `json:"runs,omitempty"`
}

// CourseDemos is the demos part of the report.
type CourseDemos struct {
	Size   string         `json:"size"`
	Procs  int            `json:"procs"`
	Tasks  int            `json:"tasks"`
	Lesson CourseDemoSide `json:"lesson"` // as published
	Course CourseDemoSide `json:"course"`
	Imgq   CourseDemoSide `json:"imgq"`
}

func (b *courseBench) demos(ctx context.Context) (*CourseDemos, error) {
	sz := b.o.DemoSize
	files, err := b.writePhotos(sz, courseDemoTasks)
	if err != nil {
		return nil, err
	}
	d := &CourseDemos{Size: sizeName(sz), Procs: b.o.Procs, Tasks: courseDemoTasks,
		Lesson: CourseDemoSide{BasicSeconds: lessonBasicSeconds, Seconds: lessonDistSeconds, TasksPerSec: lessonTasksPerSec,
			Speedup: lessonSpeedup, Efficiency: lessonEfficiency, PerWorker: []int{5, 5, 5}}}
	type reps struct{ basic, solo, dist, speedup []float64 }
	var got [2]reps
	for r := range b.o.Reps {
		err := b.pair(ctx, r, func(side string, first bool) error {
			s, k := &d.Course, 0
			if side == SideImgq {
				s, k = &d.Imgq, 1
			}
			var runs [3]CourseRun
			for i, c := range []struct {
				procs, tasks int
				name         string
			}{{1, courseBasicTasks, "basic"}, {1, courseDemoTasks, "solo"}, {b.o.Procs, courseDemoTasks, "distributed"}} {
				run, err := b.run(ctx, side, c.procs, files[:c.tasks])
				if err != nil {
					return fmt.Errorf("demo %s, %s workers, rep %d: %w", c.name, side, r+1, err)
				}
				run.Rep, run.First = r+1, first
				runs[i] = run
				s.Runs = append(s.Runs, run)
			}
			got[k].basic = append(got[k].basic, runs[0].Seconds)
			got[k].solo = append(got[k].solo, runs[1].Seconds)
			got[k].dist = append(got[k].dist, runs[2].Seconds)
			if runs[2].Seconds > 0 {
				got[k].speedup = append(got[k].speedup, runs[1].Seconds/runs[2].Seconds)
			}
			s.PerWorker = s.PerWorker[:0]
			for _, n := range runs[2].PerWorker {
				s.PerWorker = append(s.PerWorker, n)
			}
			slices.Sort(s.PerWorker)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for k, s := range []*CourseDemoSide{&d.Course, &d.Imgq} {
		s.BasicSeconds = round3(Median(got[k].basic))
		s.SoloSeconds = round3(Median(got[k].solo))
		s.Seconds = round3(Median(got[k].dist))
		if s.Seconds > 0 {
			s.TasksPerSec = round3(courseDemoTasks / s.Seconds)
		}
		s.Speedup = round3(Median(got[k].speedup))
		s.Efficiency = round3(s.Speedup / float64(d.Procs))
	}
	return d, nil
}

// writeDemos prints the demos beside the lesson's figures.
func (d *CourseDemos) writeTable(w io.Writer) {
	fmt.Fprintf(w, "\nThe lesson's demos, %s photos: basic = %d tasks on 1 worker; distributed = %d tasks on 1, then %d worker processes\n",
		d.Size, courseBasicTasks, d.Tasks, d.Procs)
	cell := func(v float64, f string) string {
		if v == 0 {
			return "—"
		}
		return fmt.Sprintf(f, v)
	}
	var rows [][]string
	for _, r := range []struct {
		name string
		s    CourseDemoSide
	}{{"lesson (published)", d.Lesson}, {"course workers, here", d.Course}, {"imgq workers, here", d.Imgq}} {
		pw := make([]string, len(r.s.PerWorker))
		for i, n := range r.s.PerWorker {
			pw[i] = fmt.Sprint(n)
		}
		rows = append(rows, []string{r.name, cell(r.s.BasicSeconds, "%.3f s"), cell(r.s.SoloSeconds, "%.3f s"),
			cell(r.s.Seconds, "%.3f s"), cell(r.s.TasksPerSec, "%.1f"), cell(r.s.Speedup, "%.2f×"),
			cell(100*r.s.Efficiency, "%.0f%%"), strings.Join(pw, "/")})
	}
	table(w, []string{"", "BASIC (3 TASKS)", "15 TASKS, 1 PROC", fmt.Sprintf("15 TASKS, %d PROCS", d.Procs), "TASKS/S", "SPEEDUP", "EFFICIENCY", "TASKS/WORKER"}, rows)
	if d.Course.Seconds > 0 && d.Imgq.Seconds > 0 {
		fmt.Fprintf(w, "imgq/course on the distributed demo: %.2f× the tasks/s; basic demo %.2f× faster\n",
			d.Course.Seconds/d.Imgq.Seconds, d.Course.BasicSeconds/max(d.Imgq.BasicSeconds, 1e-9))
	}
}
