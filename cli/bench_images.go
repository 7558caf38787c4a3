package cli

// `imgq bench images`: the course pipeline (brightness:1.8,blur:2,grayscale,
// JPEG q90) in P Go worker processes against Pillow in P Python processes, on
// the same sample JPEGs, interleaved in the same run (issue 4, target 4).

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/benchkit"
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
	Machine         benchkit.Machine   `json:"machine"`
	LoadAvgStart    []float64          `json:"load_avg_start,omitempty"`
	LoadAvgEnd      []float64          `json:"load_avg_end,omitempty"`
	Filters         string             `json:"filters"`
	Quality         int                `json:"quality"`
	Procs           int                `json:"procs"`
	ChildGOMAXPROCS int                `json:"child_gomaxprocs"` // 0: Go's default
	Reps            int                `json:"reps"`
	Python          string             `json:"python,omitempty"`
	PillowVersion   string             `json:"pillow_version,omitempty"`
	PillowNote      string             `json:"pillow_note,omitempty"`
	Sizes           []ImagesSizeResult `json:"sizes"`
	Seconds         float64            `json:"seconds"`
}

// BenchImagesOptions configure RunBenchImages.
type BenchImagesOptions struct {
	Sizes        []image.Point
	Images       int // per size and run; 0: about benchImagesMegapixels megapixels
	Procs        int
	Reps         int
	GOMAXPROCS   int    // of each Go child; 0 leaves Go's default
	NoPillow     bool   // Go alone
	Python       string // "" finds one with PIL (/usr/bin/python3 first)
	PillowScript string // "" finds scripts/pillow_bench.py
	Progress     io.Writer
	Notes        io.Writer
}

// benchImagesChild builds the command for one Go worker process; tests swap it
// for their own binary.
var benchImagesChild = func(ctx context.Context, args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.CommandContext(ctx, exe, append([]string{"bench", "images", "--child"}, args...)...), nil
}

type benchImagesFlags struct {
	sizes, python, script string
	images, procs, reps   int
	gomaxprocs            int
	noPillow, asJSON      bool
	child                 bool
	childIndex            int
}

func newBenchImagesCmd(g *globals) *cobra.Command {
	f := &benchImagesFlags{}
	cmd := &cobra.Command{
		Use:   "images",
		Short: "The course image pipeline in P Go processes vs Pillow in P Python processes (same files, same run)",
		Long: `Runs the course pipeline (` + workers.CourseFilters + `, JPEG q90) on generated
sample JPEGs in P Go worker processes (this binary, re-executed) and, when
python3-pil is present, in P Pillow processes (scripts/pillow_bench.py),
interleaving the two for each repetition. Prints medians, the Go/Pillow ratio
of each repetition, CPU per image and the PSNR of the fast path against
pipeline.Reference. Needs no Redis.`,
		Example: `  imgq bench images
  imgq bench images --sizes 640x480,1920x1080 --images 100 --procs 2 --reps 5 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.child {
				return nil
			}
			return cobra.NoArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.child {
				return runImagesChild(cmd.Context(), os.Stdin, g.out, f.childIndex, f.procs, f.images, args)
			}
			return runBenchImagesCmd(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sizes, "sizes", "640x480,1920x1080", "image sizes WxH, comma-separated")
	fl.IntVar(&f.images, "images", 0, "images per size and run, shared among the processes (0: about 128 megapixels' worth)")
	fl.IntVar(&f.procs, "procs", numCPU(), "worker processes on each side")
	fl.IntVar(&f.reps, "reps", 3, "repetitions; Go and Pillow alternate within each (medians are reported)")
	fl.IntVar(&f.gomaxprocs, "gomaxprocs", 1, "GOMAXPROCS of each Go worker process (0: Go's default); Pillow is single-threaded")
	fl.BoolVar(&f.noPillow, "no-pillow", false, "measure Go alone")
	fl.StringVar(&f.python, "python", "", "Python with PIL (default: /usr/bin/python3, then python3)")
	fl.StringVar(&f.script, "pillow-script", "", "path of pillow_bench.py (default: scripts/pillow_bench.py in this folder or a parent, or beside the binary)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	fl.BoolVar(&f.child, "child", false, "internal: run as a Go worker process")
	fl.IntVar(&f.childIndex, "child-index", 0, "internal: this worker's index")
	_ = fl.MarkHidden("child")
	_ = fl.MarkHidden("child-index")
	return cmd
}

func runBenchImagesCmd(ctx context.Context, g *globals, f *benchImagesFlags) error {
	sizes, err := parseSizes(f.sizes)
	if err != nil {
		return usageError{err}
	}
	if f.procs < 1 || f.reps < 1 || f.images < 0 || f.gomaxprocs < 0 {
		return usageError{errors.New("--procs and --reps must be at least 1, --images and --gomaxprocs at least 0")}
	}
	rep, err := RunBenchImages(ctx, BenchImagesOptions{Sizes: sizes, Images: f.images, Procs: f.procs, Reps: f.reps,
		GOMAXPROCS: f.gomaxprocs, NoPillow: f.noPillow, Python: f.python, PillowScript: f.script,
		Progress: g.errOut, Notes: g.errOut})
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(g.out, rep)
	}
	printImagesReport(g.out, rep)
	return nil
}

func parseSizes(s string) ([]image.Point, error) {
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

// RunBenchImages runs the whole comparison.
func RunBenchImages(ctx context.Context, o BenchImagesOptions) (ImagesReport, error) {
	start := time.Now()
	rep := ImagesReport{Machine: benchkit.LocalMachine(), LoadAvgStart: loadAvg(), Filters: workers.CourseFilters,
		Quality: benchImagesQuality, Procs: o.Procs, ChildGOMAXPROCS: o.GOMAXPROCS, Reps: o.Reps}
	spec := pipeline.MustParse(workers.CourseFilters)
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
	withPillow := rep.Python != ""

	dir, err := os.MkdirTemp("", "imgq-bench-images-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	files := make([][]string, len(o.Sizes))
	total := 0
	for i, sz := range o.Sizes {
		n := o.Images
		if n == 0 {
			n = int(math.Ceil(benchImagesMegapixels * 1e6 / float64(sz.X*sz.Y)))
			n = (n + o.Procs - 1) / o.Procs * o.Procs
		}
		r := ImagesSizeResult{Size: fmt.Sprintf("%dx%d", sz.X, sz.Y), Width: sz.X, Height: sz.Y, Images: n}
		// Several distinct pictures, on disk so Pillow reads the very same bytes.
		var datas [][]byte
		for seed := range int64(4) {
			b, err := pipeline.SampleJPEG(sz.X, sz.Y, seed+1, benchImagesQuality)
			if err != nil {
				return rep, err
			}
			p := filepath.Join(dir, fmt.Sprintf("sample-%s-%d.jpg", r.Size, seed+1))
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return rep, err
			}
			files[i] = append(files[i], p)
			datas = append(datas, b)
		}
		r.Samples = len(datas)
		r.PSNRdB = 1000
		for _, b := range datas {
			db, err := fastVsReferencePSNR(ctx, b, spec)
			if err != nil {
				return rep, fmt.Errorf("%s: %w", r.Size, err)
			}
			r.PSNRdB = min(r.PSNRdB, db)
		}
		r.PSNROK = r.PSNRdB >= benchImagesPSNRMin
		rep.Sizes = append(rep.Sizes, r)
		total += n * o.Reps
	}
	if withPillow {
		total *= 2
	}
	bar := benchkit.NewProgress(o.Progress, "images: Go vs Pillow", int64(total))
	if !withPillow {
		bar = benchkit.NewProgress(o.Progress, "images: Go", int64(total))
	}
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
				return rep, err
			}
			if err := second(); err != nil {
				return rep, err
			}
		}
	}
	bar.Done()
	for i := range rep.Sizes {
		s := &rep.Sizes[i]
		s.GoImagesPerSec, s.GoCPUMSPerImage = runMedians(s.Go)
		if len(s.Pillow) > 0 {
			s.PillowImagesPerSec, s.PillowCPUMSPerImage = runMedians(s.Pillow)
			for j := range s.Go {
				s.Ratios = append(s.Ratios, round3(s.Go[j].ImagesPerSec/s.Pillow[j].ImagesPerSec))
			}
			s.Ratio = round3(benchkit.Median(s.Ratios))
		}
	}
	rep.LoadAvgEnd = loadAvg()
	rep.Seconds = round3(time.Since(start).Seconds())
	return rep, nil
}

func runMedians(rs []ImagesRun) (ips, cpu float64) {
	var a, b []float64
	for _, r := range rs {
		a = append(a, r.ImagesPerSec)
		b = append(b, r.CPUMSPerImage)
	}
	return round3(benchkit.Median(a)), round3(benchkit.Median(b))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
