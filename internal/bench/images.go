package bench

// `imgq bench images`: the course pipeline (brightness:1.8,blur:2,grayscale,
// JPEG q90) in P Go worker processes against Pillow in P Python processes, on
// the same sample JPEGs, interleaved in the same run (issue 4, target 4).

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

const (
	benchImagesQuality = 90
	// benchImagesMegapixels sizes the automatic --images: about this many
	// megapixels per size and repetition, so every size takes similar time.
	benchImagesMegapixels = 128
	benchImagesPSNRMin    = 40
	pillowHint            = "install Debian's python3-pil to compare: apt-get install -y python3-pil"
)

// ImagesRun is one timed run of one side (Go or Pillow) at one size.
type ImagesRun struct {
	Rep           int     `json:"rep"`
	Images        int     `json:"images"`
	Seconds       float64 `json:"seconds"` // max(end) - min(start) over the worker processes
	ImagesPerSec  float64 `json:"images_per_sec"`
	CPUMSPerImage float64 `json:"cpu_ms_per_image"` // user+system CPU of the workers over the timed part
	OutBytes      int64   `json:"out_bytes"`
}

// ImagesSizeResult holds every run at one size and their medians.
type ImagesSizeResult struct {
	Size                string      `json:"size"`
	Width               int         `json:"width"`
	Height              int         `json:"height"`
	Images              int         `json:"images"`  // per run, shared among the processes
	Samples             int         `json:"samples"` // distinct input files
	Go                  []ImagesRun `json:"go"`
	Pillow              []ImagesRun `json:"pillow,omitempty"`
	GoImagesPerSec      float64     `json:"go_images_per_sec"` // medians over the reps
	PillowImagesPerSec  float64     `json:"pillow_images_per_sec,omitempty"`
	GoCPUMSPerImage     float64     `json:"go_cpu_ms_per_image"`
	PillowCPUMSPerImage float64     `json:"pillow_cpu_ms_per_image,omitempty"`
	Ratios              []float64   `json:"ratios,omitempty"` // Go/Pillow images/s, rep by rep
	Ratio               float64     `json:"ratio,omitempty"`  // median of Ratios
	PSNRdB              float64     `json:"psnr_db"`          // lowest over the samples; 100 means identical
	PSNROK              bool        `json:"psnr_ok"`          // PSNRdB ≥ 40
}

// ImagesReport is `imgq bench images --json`.
type ImagesReport struct {
	Machine         Machine            `json:"machine"`
	LoadAvgStart    []float64          `json:"load_avg_start,omitempty"`
	LoadAvgEnd      []float64          `json:"load_avg_end,omitempty"`
	Filters         string             `json:"filters"`
	Quality         int                `json:"quality"`
	Procs           int                `json:"procs"`
	ChildGOMAXPROCS int                `json:"child_gomaxprocs"` // 0: Go's default
	ChildThreads    int                `json:"child_threads"`    // pipeline.Options.Threads of each Go child
	Reps            int                `json:"reps"`
	Python          string             `json:"python,omitempty"`
	PillowVersion   string             `json:"pillow_version,omitempty"`
	PillowNote      string             `json:"pillow_note,omitempty"`
	Sizes           []ImagesSizeResult `json:"sizes"`
	Seconds         float64            `json:"seconds"`
}

// ImagesOptions configure RunImages.
type ImagesOptions struct {
	Sizes        []image.Point
	Images       int // per size and run; 0: about benchImagesMegapixels megapixels
	Procs        int
	Reps         int
	GOMAXPROCS   int    // of each Go child; 0 leaves Go's default
	Threads      int    // threads each Go child spreads an image over; 0: CPUs/Procs (at least 1)
	NoPillow     bool   // Go alone
	Python       string // "" finds one with PIL (/usr/bin/python3 first)
	PillowScript string // "" finds scripts/pillow_bench.py
	Progress     io.Writer
	Notes        io.Writer
	// Child builds the command of one Go worker process, given its arguments
	// (nil: this executable with `bench images --child`; tests run their own binary).
	Child func(ctx context.Context, args []string) (*exec.Cmd, error)
}

// ParseSizes reads --sizes: WxH, comma-separated.
func ParseSizes(s string) ([]image.Point, error) {
	var out []image.Point
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		ws, hs, ok := strings.Cut(strings.ToLower(part), "x")
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > pipeline.MaxSide || h > pipeline.MaxSide {
			return nil, fmt.Errorf("--sizes: %q is not WxH (for example 640x480)", part)
		}
		out = append(out, image.Pt(w, h))
	}
	return out, nil
}

// RunImages runs the whole comparison.
func RunImages(ctx context.Context, o ImagesOptions) (ImagesReport, error) {
	start := time.Now()
	if o.Threads <= 0 {
		o.Threads = max(1, runtime.NumCPU()/max(o.Procs, 1))
	}
	rep := ImagesReport{ChildThreads: o.Threads, Machine: localMachine(), LoadAvgStart: loadAvg(), Filters: workers.CourseFilters,
		Quality: benchImagesQuality, Procs: o.Procs, ChildGOMAXPROCS: o.GOMAXPROCS, Reps: o.Reps}
	if o.Child == nil {
		o.Child = selfChild
	}
	notes := o.Notes
	if notes == nil {
		notes = io.Discard
	}
	var script string
	if !o.NoPillow {
		py, ver, err := findPillowPython(ctx, o.Python)
		if err == nil {
			script, err = findPillowScript(o.PillowScript)
		}
		if err != nil {
			rep.PillowNote = err.Error() + "; reporting Go alone"
			fmt.Fprintf(notes, "bench images: %s\n", rep.PillowNote)
		} else {
			rep.Python, rep.PillowVersion = py, ver
		}
	}
	dir, err := os.MkdirTemp("", "imgq-bench-images-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	files, err := prepareSizes(ctx, &rep, o, dir)
	if err != nil {
		return rep, err
	}
	if err := runImageReps(ctx, &rep, o, script, files); err != nil {
		return rep, err
	}
	for i := range rep.Sizes {
		rep.Sizes[i].medians()
	}
	rep.LoadAvgEnd = loadAvg()
	rep.Seconds = round3(time.Since(start).Seconds())
	return rep, nil
}

// selfChild is this executable as a Go worker process of `bench images`.
func selfChild(ctx context.Context, args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.CommandContext(ctx, exe, append([]string{"bench", "images", "--child"}, args...)...), nil
}

// prepareSizes writes the sample JPEGs of each size into dir (on disk, so
// Pillow reads the very same bytes), checks the fast path's PSNR on them and
// adds one ImagesSizeResult per size to rep. It returns the files by size.
func prepareSizes(ctx context.Context, rep *ImagesReport, o ImagesOptions, dir string) ([][]string, error) {
	spec := pipeline.MustParse(workers.CourseFilters)
	files := make([][]string, len(o.Sizes))
	for i, sz := range o.Sizes {
		n := o.Images
		if n == 0 {
			n = int(math.Ceil(benchImagesMegapixels * 1e6 / float64(sz.X*sz.Y)))
			n = (n + o.Procs - 1) / o.Procs * o.Procs
		}
		r := ImagesSizeResult{Size: fmt.Sprintf("%dx%d", sz.X, sz.Y), Width: sz.X, Height: sz.Y, Images: n, PSNRdB: 1000}
		for seed := range int64(4) {
			b, err := pipeline.SampleJPEG(sz.X, sz.Y, seed+1, benchImagesQuality)
			if err != nil {
				return nil, err
			}
			p := filepath.Join(dir, fmt.Sprintf("sample-%s-%d.jpg", r.Size, seed+1))
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return nil, err
			}
			files[i] = append(files[i], p)
			db, err := fastVsReferencePSNR(ctx, b, spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Size, err)
			}
			r.PSNRdB = min(r.PSNRdB, db)
		}
		r.Samples = len(files[i])
		r.PSNROK = r.PSNRdB >= benchImagesPSNRMin
		rep.Sizes = append(rep.Sizes, r)
	}
	return files, nil
}

// runImageReps runs every repetition of every size, Go and (when found) Pillow
// in turn, under one progress bar.
func runImageReps(ctx context.Context, rep *ImagesReport, o ImagesOptions, script string, files [][]string) error {
	withPillow := rep.Python != ""
	total := 0
	for _, s := range rep.Sizes {
		total += s.Images * o.Reps
	}
	label := "images: Go"
	if withPillow {
		total *= 2
		label = "images: Go vs Pillow"
	}
	bar := NewProgress(o.Progress, label, int64(total))
	defer bar.Done()
	var done atomic.Int64
	tick := func() { bar.Set(done.Add(1)) }
	for r := range o.Reps {
		for i := range rep.Sizes {
			s := &rep.Sizes[i]
			runGo := func() error {
				run, err := goImagesRun(ctx, o, files[i], s.Images, tick)
				if err != nil {
					return fmt.Errorf("go, %s: %w", s.Size, err)
				}
				run.Rep = r + 1
				s.Go = append(s.Go, run)
				return nil
			}
			runPillow := func() error {
				if !withPillow {
					return nil
				}
				run, err := pillowImagesRun(ctx, rep.Python, script, o.Procs, files[i], s.Images, tick)
				if err != nil {
					return fmt.Errorf("pillow, %s: %w", s.Size, err)
				}
				run.Rep = r + 1
				s.Pillow = append(s.Pillow, run)
				return nil
			}
			// Alternate which side goes first, so a drift in the machine's
			// load does not always favour the same one.
			first, second := runGo, runPillow
			if r%2 == 1 {
				first, second = runPillow, runGo
			}
			if err := first(); err != nil {
				return err
			}
			if err := second(); err != nil {
				return err
			}
		}
	}
	return nil
}

// medians fills the per-size medians and the Go/Pillow ratio of each rep.
func (s *ImagesSizeResult) medians() {
	s.GoImagesPerSec, s.GoCPUMSPerImage = runMedians(s.Go)
	if len(s.Pillow) == 0 {
		return
	}
	s.PillowImagesPerSec, s.PillowCPUMSPerImage = runMedians(s.Pillow)
	for j := range s.Go {
		s.Ratios = append(s.Ratios, round3(s.Go[j].ImagesPerSec/s.Pillow[j].ImagesPerSec))
	}
	s.Ratio = round3(Median(s.Ratios))
}

func runMedians(rs []ImagesRun) (ips, cpu float64) {
	var a, b []float64
	for _, r := range rs {
		a = append(a, r.ImagesPerSec)
		b = append(b, r.CPUMSPerImage)
	}
	return round3(Median(a)), round3(Median(b))
}
