package bench

// `imgq bench course`: the whole system against the course's (issue 14, target
// 2). The same N sample photos go through one private redis-server, enqueued
// the course's way (HSET task:<id> + RPUSH image_processing:pending, data
// {name, image_path, output_path}), to P course-style Python workers
// (e2e/course/worker.py as the e2e tests run it: redis-py + Pillow, one task at
// a time) and to P `imgq worker` processes (concurrency 1), alternating which
// side goes first. The clock runs from the first enqueue to the last
// completed_at read back from Redis; the workers are up (course: connected,
// imgq: registered) before it starts, and their startup is reported apart.
// Then the lesson's two demos on both sides: 3 tasks on 1 worker, and 15 tasks
// on 1 then P processes (speedup, efficiency).

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/e2e/course"
	"github.com/imgq/imgq/internal/redisserver"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// The lesson's published demo figures (COURSE_CONTEXT.md, "Demos and their
// published results"), printed beside the measured ones.
const (
	lessonBasicSeconds = 0.6
	lessonDistSeconds  = 0.4
	lessonTasksPerSec  = 30
	lessonSpeedup      = 3.0
	lessonEfficiency   = 0.95
	courseTarget       = 5.0 // imgq/course images/s, issue 14 target 2
	courseSampleJPEGQ  = 90
)

// Sides of the comparison.
const (
	SideCourse = "course"
	SideImgq   = "imgq"
)

// CourseOptions configure RunCourse.
type CourseOptions struct {
	Sizes      []image.Point
	Images     int    // photos per size and run
	Procs      int    // worker processes on each side
	Reps       int    // repetitions; the side going first alternates
	Filters    string // "" or the lesson's chain: the course worker's own; else both apply this spec
	GOMAXPROCS int    // of each imgq worker process; 0 leaves Go's default
	Demos      bool   // also run the lesson's demos
	DemoSize   image.Point
	Python     string // "" finds one that imports redis and PIL (/usr/bin/python3 first)
	Exe        string // the imgq binary; "" is this executable
	Progress   io.Writer
	Notes      io.Writer
}

// CourseRun is one timed run of one side.
type CourseRun struct {
	Side          string         `json:"side"`
	Rep           int            `json:"rep"`
	First         bool           `json:"first"` // this side went first in its rep
	Procs         int            `json:"procs"`
	Tasks         int            `json:"tasks"`
	Completed     int            `json:"completed"`  // distinct ids on <queue>:completed
	Failed        int            `json:"failed"`     // distinct ids on <queue>:failed
	Duplicates    int            `json:"duplicates"` // extra entries of an id on completed/failed
	Seconds       float64        `json:"seconds"`    // first enqueue → last completed_at
	ImagesPerSec  float64        `json:"images_per_sec"`
	CPUMSPerImage float64        `json:"cpu_ms_per_image"` // user+system of the worker processes, enqueue → last completion
	StartupMS     float64        `json:"startup_ms"`       // spawn → every worker up (not in Seconds)
	PerWorker     map[string]int `json:"per_worker"`       // completed tasks by worker_id
}

// CourseSizeResult holds every run at one size and their medians.
type CourseSizeResult struct {
	Size                string      `json:"size"`
	Width               int         `json:"width"`
	Height              int         `json:"height"`
	Images              int         `json:"images"`
	Course              []CourseRun `json:"course"`
	Imgq                []CourseRun `json:"imgq"`
	CourseImagesPerSec  float64     `json:"course_images_per_sec"` // medians over the reps
	ImgqImagesPerSec    float64     `json:"imgq_images_per_sec"`
	CourseCPUMSPerImage float64     `json:"course_cpu_ms_per_image"`
	ImgqCPUMSPerImage   float64     `json:"imgq_cpu_ms_per_image"`
	Ratios              []float64   `json:"ratios"` // imgq/course images/s, rep by rep
	Ratio               float64     `json:"ratio"`  // median of Ratios
	TargetMet           bool        `json:"target_met"`
}

// CourseReport is `imgq bench course --json`.
type CourseReport struct {
	Machine      Machine            `json:"machine"`
	LoadAvgStart []float64          `json:"load_avg_start,omitempty"`
	LoadAvgEnd   []float64          `json:"load_avg_end,omitempty"`
	Compared     string             `json:"compared"`
	Filters      string             `json:"filters"`
	Procs        int                `json:"procs"`
	Reps         int                `json:"reps"`
	GOMAXPROCS   int                `json:"imgq_gomaxprocs"` // 0: Go's default
	Python       string             `json:"python"`
	Versions     string             `json:"python_versions"`
	Target       float64            `json:"target_ratio"`
	Sizes        []CourseSizeResult `json:"sizes"`
	Demos        *CourseDemos       `json:"demos,omitempty"`
	Seconds      float64            `json:"seconds"`
}

// courseBench is one RunCourse: the server, the folders and the commands.
type courseBench struct {
	o       CourseOptions
	rdb     *redis.Client
	port    int
	url     string
	dir     string // temporary: scripts/, images-WxH/, one folder per run
	scripts string
	runs    int
	bar     *Progress
	done    int64
}

// CourseCompared says in words what the two sides are.
func CourseCompared(procs int) string {
	return fmt.Sprintf("%d course workers (e2e/course/worker.py: Python, redis-py + Pillow, one task at a time, as the lesson's) "+
		"vs %d `imgq worker` processes (--concurrency 1), on the same photos, the same redis-server and the same course-layout tasks; "+
		"time = first enqueue → last completed_at in Redis, workers already up", procs, procs)
}

// RunCourse runs the whole comparison, then the demos.
func RunCourse(ctx context.Context, o CourseOptions) (CourseReport, error) {
	start := time.Now()
	rep := CourseReport{Machine: localMachine(), LoadAvgStart: loadAvg(), Compared: CourseCompared(o.Procs),
		Filters: o.Filters, Procs: o.Procs, Reps: o.Reps, GOMAXPROCS: o.GOMAXPROCS, Target: courseTarget}
	if rep.Filters == "" {
		rep.Filters = workers.CourseFilters
	}
	spec, err := pipeline.Parse(rep.Filters)
	if err != nil {
		return rep, fmt.Errorf("--filters: %w", err)
	}
	for _, st := range spec {
		switch st.Name {
		case "brightness", "blur", "grayscale", "edges":
		default:
			return rep, fmt.Errorf("--filters: the course worker knows brightness, blur, grayscale and edges, not %s", st.Name)
		}
	}
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return rep, fmt.Errorf("find the imgq binary: %w", err)
		}
		o.Exe = exe
	}
	py, vers, err := findCoursePython(ctx, o.Python)
	if err != nil {
		return rep, err
	}
	rep.Python, rep.Versions = py, vers
	o.Python = py
	dir, err := os.MkdirTemp("", "imgq-bench-course-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	srv, err := redisserver.Start(ctx, redisserver.Options{})
	if err != nil {
		return rep, err
	}
	defer srv.Close()
	if o.Notes != nil {
		fmt.Fprintf(o.Notes, "bench course: started redis-server at %s\n", srv.Addr())
	}
	b := &courseBench{o: o, port: srv.Port, url: srv.URL(), dir: dir, scripts: filepath.Join(dir, "scripts")}
	b.rdb = redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 4})
	defer b.rdb.Close()
	rep.Machine = DescribeMachine(ctx, b.rdb)
	if err := writeCourseScripts(b.scripts); err != nil {
		return rep, err
	}
	files := make([][]string, len(o.Sizes))
	for i, sz := range o.Sizes {
		if files[i], err = b.writePhotos(sz, o.Images); err != nil {
			return rep, err
		}
		rep.Sizes = append(rep.Sizes, CourseSizeResult{Size: sizeName(sz), Width: sz.X, Height: sz.Y, Images: o.Images})
	}
	total := int64(2 * o.Reps * o.Images * len(o.Sizes))
	if o.Demos {
		total += int64(2 * o.Reps * (3 + 2*courseDemoTasks))
	}
	b.bar = NewProgress(o.Progress, "course vs imgq", total)
	defer b.bar.Done()
	for r := range o.Reps {
		for i := range rep.Sizes {
			s := &rep.Sizes[i]
			err := b.pair(ctx, r, func(side string, first bool) error {
				run, err := b.run(ctx, side, o.Procs, files[i])
				if err != nil {
					return fmt.Errorf("%s workers, %s, rep %d: %w", side, s.Size, r+1, err)
				}
				run.Rep, run.First = r+1, first
				if side == SideCourse {
					s.Course = append(s.Course, run)
				} else {
					s.Imgq = append(s.Imgq, run)
				}
				return nil
			})
			if err != nil {
				return rep, err
			}
		}
	}
	for i := range rep.Sizes {
		rep.Sizes[i].medians()
	}
	if o.Demos {
		d, err := b.demos(ctx)
		if err != nil {
			return rep, err
		}
		rep.Demos = d
	}
	rep.LoadAvgEnd = loadAvg()
	rep.Seconds = round3(time.Since(start).Seconds())
	return rep, nil
}

// pair runs both sides once; who goes first alternates with the rep, so a
// drift in the machine's load does not always favour the same side.
func (b *courseBench) pair(ctx context.Context, rep int, run func(side string, first bool) error) error {
	sides := []string{SideCourse, SideImgq}
	if rep%2 == 1 {
		sides[0], sides[1] = sides[1], sides[0]
	}
	for i, side := range sides {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := run(side, i == 0); err != nil {
			return err
		}
	}
	return nil
}

func sizeName(p image.Point) string { return fmt.Sprintf("%dx%d", p.X, p.Y) }

// writePhotos writes n sample JPEGs of one size (distinct seeds, so no two
// tasks read the same bytes) into images-WxH/ and returns their absolute paths.
func (b *courseBench) writePhotos(sz image.Point, n int) ([]string, error) {
	d := filepath.Join(b.dir, "images-"+sizeName(sz))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, n)
	for k := range n {
		data, err := pipeline.SampleJPEG(sz.X, sz.Y, int64(k+1), courseSampleJPEGQ)
		if err != nil {
			return nil, fmt.Errorf("sample %s #%d: %w", sizeName(sz), k+1, err)
		}
		paths[k] = filepath.Join(d, fmt.Sprintf("img_%d.jpg", k+1))
		if err := os.WriteFile(paths[k], data, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// writeCourseScripts writes the embedded course scripts into dir.
func writeCourseScripts(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"course_queue.py", "worker.py", "producer.py"} {
		b, err := course.Scripts.ReadFile(name)
		if err != nil {
			return fmt.Errorf("embedded course script %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// findCoursePython returns a Python that imports redis and PIL, and their
// versions.
func findCoursePython(ctx context.Context, explicit string) (string, string, error) {
	cands := []string{"/usr/bin/python3", "python3"}
	if explicit != "" {
		cands = []string{explicit}
	}
	var tried []string
	for _, c := range cands {
		p, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c+": not found")
			continue
		}
		out, err := exec.CommandContext(ctx, p, "-c",
			"import sys, redis, PIL; print('Python %d.%d.%d, redis-py %s, Pillow %s' % (sys.version_info[:3] + (redis.__version__, PIL.__version__)))").CombinedOutput()
		if err == nil {
			return p, strings.TrimSpace(string(out)), nil
		}
		tried = append(tried, fmt.Sprintf("%s: %s", p, lastLine(string(out))))
	}
	return "", "", fmt.Errorf("no Python that imports redis and PIL (%s): install Debian's python3-redis python3-pil (apt-get install -y python3-redis python3-pil)",
		strings.Join(tried, "; "))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// medians fills the per-size medians and the imgq/course ratio of each rep.
func (s *CourseSizeResult) medians() {
	s.CourseImagesPerSec, s.CourseCPUMSPerImage = courseMedians(s.Course)
	s.ImgqImagesPerSec, s.ImgqCPUMSPerImage = courseMedians(s.Imgq)
	s.Ratios = nil
	for j := range min(len(s.Course), len(s.Imgq)) {
		if c := s.Course[j].ImagesPerSec; c > 0 {
			s.Ratios = append(s.Ratios, round3(s.Imgq[j].ImagesPerSec/c))
		}
	}
	s.Ratio = round3(Median(s.Ratios))
	s.TargetMet = s.Ratio >= courseTarget
}

func courseMedians(rs []CourseRun) (ips, cpu float64) {
	var a, c []float64
	for _, r := range rs {
		a = append(a, r.ImagesPerSec)
		c = append(c, r.CPUMSPerImage)
	}
	return round3(Median(a)), round3(Median(c))
}

// errWorkerExited is a worker process that ended before the run did.
var errWorkerExited = errors.New("worker process exited before the run finished")
