package cli

import (
	"errors"
	"image"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/workers"
)

type benchCourseFlags struct {
	sizes, filters, python, demoSize string
	imgqBinary                       string
	images, procs, reps, gomaxprocs  int
	noDemos, asJSON                  bool
}

func newBenchCourseCmd(g *globals) *cobra.Command {
	f := &benchCourseFlags{}
	cmd := &cobra.Command{
		Use:   "course",
		Short: "The whole system vs the course's: P course Python workers vs P imgq workers on the same photos through Redis",
		Long: `Issue 14, target 2. Starts a private redis-server, writes N sample photos per size,
and for each size and repetition runs the same course-layout tasks (HSET task:<id>
+ RPUSH image_processing:pending, data {name, image_path, output_path}) through
P course-style Python workers (e2e/course/worker.py, embedded in this binary:
redis-py + Pillow, one task at a time, as the lesson's) and through P
` + "`imgq worker`" + ` processes (--concurrency 1, reading the task's image_path like the
course worker), alternating which side goes first. Time = first enqueue → last
completed_at in Redis, with every worker already up. Then the lesson's demos
(3 tasks on 1 worker; 15 tasks on 1 and on P processes) on both sides beside
the lesson's published figures. Needs python3 with redis and PIL
(Debian: python3-redis python3-pil).`,
		Example: `  imgq bench course
  imgq bench course --sizes 1920x1080 --images 45 --procs 3 --reps 5 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchCourse(g, cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sizes, "sizes", "640x480,1920x1080", "photo sizes WxH, comma-separated")
	fl.IntVar(&f.images, "images", 45, "photos per size and run, shared among the processes")
	fl.IntVar(&f.procs, "procs", 3, "worker processes on each side (the lesson's demo: 3)")
	fl.IntVar(&f.reps, "reps", 3, "repetitions; who goes first alternates (medians are reported)")
	fl.StringVar(&f.filters, "filters", workers.CourseFilters, "filter spec; another than the lesson's is applied by both sides (the course worker with --task-filters: brightness, blur, grayscale, edges)")
	fl.IntVar(&f.gomaxprocs, "gomaxprocs", 1, "GOMAXPROCS of each imgq worker process (0: Go's default); a course worker uses one core")
	fl.BoolVar(&f.noDemos, "no-demos", false, "skip the lesson's demos")
	fl.StringVar(&f.demoSize, "demo-size", "640x480", "photo size of the demos")
	fl.StringVar(&f.python, "python", "", "Python with redis and PIL (default: /usr/bin/python3, then python3)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	fl.StringVar(&f.imgqBinary, "imgq-binary", "", "the imgq binary the imgq workers run (default: this one; another build for an A/B)")
	_ = fl.MarkHidden("imgq-binary")
	return cmd
}

func runBenchCourse(g *globals, cmd *cobra.Command, f *benchCourseFlags) error {
	if g.redisURL != "" {
		return usageError{errors.New("bench course always starts its own redis-server (it flushes it between runs): drop --redis")}
	}
	sizes, err := bench.ParseSizes(f.sizes)
	if err != nil {
		return usageError{err}
	}
	demo, err := bench.ParseSizes(f.demoSize)
	if err != nil || len(demo) != 1 {
		return usageError{errors.New("--demo-size: one WxH, for example 640x480")}
	}
	if f.procs < 1 || f.reps < 1 || f.images < 1 || f.gomaxprocs < 0 {
		return usageError{errors.New("--procs, --reps and --images must be at least 1, --gomaxprocs at least 0")}
	}
	rep, err := bench.RunCourse(cmd.Context(), bench.CourseOptions{Sizes: sizes, Images: f.images, Procs: f.procs, Reps: f.reps,
		Filters: f.filters, GOMAXPROCS: f.gomaxprocs, Demos: !f.noDemos, DemoSize: image.Point(demo[0]), Python: f.python,
		Exe: f.imgqBinary, Progress: g.errOut, Notes: g.errOut})
	if err != nil {
		return err
	}
	return g.printReport(rep, f.asJSON)
}
