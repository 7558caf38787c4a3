package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/imgq/imgq/bench/internal/imgqbin"
	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/workers"
)

// comparison says in the report which comparison this is, and why.
const comparison = "same number of processes on each side (P, default all cores), each handling one image at a time " +
	"with its library's default threading: how a user spreads a stream of photos over a machine's cores with either; " +
	"both sides get the whole machine, the figure is the machine's images/s"

type sizeResult struct {
	Size    string `json:"size"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Images  int    `json:"images"`  // per run, shared among the processes
	Samples int    `json:"samples"` // distinct input files
	// First names the side that went first in each rep (they alternate).
	First             []string    `json:"first"`
	Imgq              []runResult `json:"imgq"`
	Vips              []runResult `json:"vips"`
	ImgqImagesPerSec  float64     `json:"imgq_images_per_sec"` // medians over the reps
	VipsImagesPerSec  float64     `json:"vips_images_per_sec"`
	ImgqCPUMSPerImage float64     `json:"imgq_cpu_ms_per_image"`
	VipsCPUMSPerImage float64     `json:"vips_cpu_ms_per_image"`
	// Cores each side kept busy (median CPU per image × median images/s).
	ImgqCores float64   `json:"imgq_cores_busy"`
	VipsCores float64   `json:"vips_cores_busy"`
	Ratios    []float64 `json:"ratios"` // imgq/vips images/s, rep by rep
	Ratio     float64   `json:"ratio"`  // median of Ratios
	// PSNR of each side's output against Pillow's, lowest over the samples.
	ImgqPSNRdB float64 `json:"imgq_psnr_vs_pillow_db"`
	VipsPSNRdB float64 `json:"vips_psnr_vs_pillow_db"`
	// imgq's own check: its fast path against its reference pipeline, as the
	// measured binary reports it (lowest of its runs).
	ImgqFastVsReferencedB float64 `json:"imgq_fast_vs_reference_db"`
}

type report struct {
	Machine         bench.Machine `json:"machine"`
	LoadAvgStart    []float64     `json:"load_avg_start,omitempty"`
	LoadAvgEnd      []float64     `json:"load_avg_end,omitempty"`
	Comparison      string        `json:"comparison"`
	Filters         string        `json:"filters"`
	Quality         int           `json:"quality"`
	Procs           int           `json:"procs"`
	Reps            int           `json:"reps"`
	ImgqLabel       string        `json:"imgq_label"`
	ImgqArgs        []string      `json:"imgq_args"`
	ImgqPSNRSource  string        `json:"imgq_psnr_source"` // the source tree whose pipeline made imgq's scored outputs
	VipsVersion     string        `json:"vips_version"`
	VipsConcurrency int           `json:"vips_concurrency"` // 0: libvips' default
	VipsUchar       bool          `json:"vips_uchar"`       // cast to 8 bits after linear
	PillowVersion   string        `json:"pillow_version"`
	Sizes           []sizeResult  `json:"sizes"`
	Seconds         float64       `json:"seconds"`
}

func run(ctx context.Context, o options) (report, error) {
	start := time.Now()
	if err := o.check(); err != nil {
		return report{}, err
	}
	load0, _ := proc.LoadAverage()
	rep := report{Machine: bench.Machine{CPUs: runtime.NumCPU(), CPUModel: proc.CPUModel(), GoVersion: runtime.Version(),
		Date: start.UTC().Format(time.RFC3339)}, LoadAvgStart: load0, Comparison: comparison,
		Filters: workers.CourseFilters, Quality: quality, Procs: o.procs, Reps: o.reps, ImgqArgs: o.parsedImgqArgs,
		VipsVersion: vips.Version, VipsConcurrency: o.vipsConcurrency, VipsUchar: o.vipsUchar}
	here, err := imgqbin.Root()
	if err != nil {
		return rep, err
	}
	rep.ImgqPSNRSource = pipelineSource(here)
	bin, label := o.imgqBin, o.imgqBin
	if bin == "" {
		root := o.imgqRoot
		if root == "" {
			root = here
		}
		label = root
		b, cleanup, err := imgqbin.Build(ctx, root, os.Stderr)
		if err != nil {
			return rep, err
		}
		defer cleanup()
		bin = b
	}
	rep.ImgqLabel = label
	if o.label != "" {
		rep.ImgqLabel = o.label
	}
	script := o.pillowScript
	if script == "" {
		script = filepath.Join(here, "scripts", "pillow_bench.py")
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "imagebench-"); err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, err
	}
	files := make([][]string, len(o.parsedSizes))
	for i, sz := range o.parsedSizes {
		if files[i], err = writeSamples(dir, sz); err != nil {
			return rep, err
		}
		s := sizeResult{Size: fmt.Sprintf("%dx%d", sz.X, sz.Y), Width: sz.X, Height: sz.Y, Images: o.imagesFor(sz),
			Samples: len(files[i]), ImgqFastVsReferencedB: 1000}
		if err := scoreQuality(ctx, &rep, &s, o, script, dir, files[i]); err != nil {
			return rep, fmt.Errorf("%s: %w", s.Size, err)
		}
		rep.Sizes = append(rep.Sizes, s)
	}
	if err := runReps(ctx, &rep, o, bin, files); err != nil {
		return rep, err
	}
	rep.LoadAvgEnd, _ = proc.LoadAverage()
	rep.Seconds = round3(time.Since(start).Seconds())
	return rep, nil
}

// pipelineSource is the folder of the imgq source this program was built
// with (a go.work may replace the module's ../), which made imgq's scored
// outputs; here when the build does not say.
func pipelineSource(here string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/imgq/imgq" && d.Replace != nil && filepath.IsAbs(d.Replace.Path) {
				return d.Replace.Path
			}
		}
	}
	return here
}

// scoreQuality fills the PSNR of both sides against Pillow for one size.
func scoreQuality(ctx context.Context, rep *report, s *sizeResult, o options, script, dir string, files []string) error {
	ref, ver, err := pillowOutputs(ctx, o.python, script, dir, files)
	if err != nil {
		return err
	}
	rep.PillowVersion = ver
	iq, err := imgqOutputs(ctx, files)
	if err != nil {
		return err
	}
	vo, err := vipsOutputs(ctx, o.vipsConcurrency, o.vipsUchar, files)
	if err != nil {
		return err
	}
	if s.ImgqPSNRdB, err = lowestPSNR(iq, ref); err != nil {
		return fmt.Errorf("imgq vs Pillow: %w", err)
	}
	if s.VipsPSNRdB, err = lowestPSNR(vo, ref); err != nil {
		return fmt.Errorf("libvips vs Pillow: %w", err)
	}
	if o.keep != "" {
		return keepOutputs(dir, files, iq, vo)
	}
	return nil
}

// runReps runs every repetition of every size, imgq and libvips in turn,
// alternating which goes first, under one progress bar.
func runReps(ctx context.Context, rep *report, o options, bin string, files [][]string) error {
	total := 0
	for _, s := range rep.Sizes {
		total += 2 * s.Images * o.reps
	}
	bar := bench.NewProgress(os.Stderr, "images: imgq vs libvips", int64(total))
	defer bar.Done()
	var done atomic.Int64
	for r := range o.reps {
		for i := range rep.Sizes {
			s := &rep.Sizes[i]
			runImgq := func() error {
				res, sr, err := imgqRun(ctx, bin, o.parsedImgqArgs, s.Size, o.procs, s.Images,
					func(n int) { bar.Set(done.Add(int64(n))) })
				if err != nil {
					return fmt.Errorf("imgq, %s, rep %d: %w", s.Size, r+1, err)
				}
				res.Rep = r + 1
				s.Imgq = append(s.Imgq, res)
				s.ImgqFastVsReferencedB = min(s.ImgqFastVsReferencedB, sr.PSNRdB)
				return nil
			}
			runVips := func() error {
				res, err := vipsRun(ctx, o.procs, o.vipsConcurrency, o.vipsUchar, files[i], s.Images, func() { bar.Set(done.Add(1)) })
				if err != nil {
					return fmt.Errorf("libvips, %s, rep %d: %w", s.Size, r+1, err)
				}
				res.Rep = r + 1
				s.Vips = append(s.Vips, res)
				return nil
			}
			// Alternate who goes first, so a drift in the machine's load
			// does not always favour the same side.
			first, second, name := runImgq, runVips, "imgq"
			if r%2 == 1 {
				first, second, name = runVips, runImgq, "libvips"
			}
			s.First = append(s.First, name)
			if err := first(); err != nil {
				return err
			}
			if err := second(); err != nil {
				return err
			}
		}
	}
	for i := range rep.Sizes {
		rep.Sizes[i].medians()
	}
	return nil
}

func (s *sizeResult) medians() {
	s.ImgqImagesPerSec, s.ImgqCPUMSPerImage = runMedians(s.Imgq)
	s.VipsImagesPerSec, s.VipsCPUMSPerImage = runMedians(s.Vips)
	s.ImgqCores = round3(s.ImgqImagesPerSec * s.ImgqCPUMSPerImage / 1000)
	s.VipsCores = round3(s.VipsImagesPerSec * s.VipsCPUMSPerImage / 1000)
	s.Ratios = nil
	for j := range s.Imgq {
		s.Ratios = append(s.Ratios, round3(s.Imgq[j].ImagesPerSec/s.Vips[j].ImagesPerSec))
	}
	s.Ratio = round3(bench.Median(s.Ratios))
}

func runMedians(rs []runResult) (ips, cpu float64) {
	var a, b []float64
	for _, r := range rs {
		a = append(a, r.ImagesPerSec)
		b = append(b, r.CPUMSPerImage)
	}
	return round3(bench.Median(a)), round3(bench.Median(b))
}
