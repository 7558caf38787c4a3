package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// The quality side: every output against Pillow's output for the same
// pipeline on the same file, as PSNR of the decoded grey values.

const (
	quality = 90
	psnrMin = 40 // dB, issue 14's bar for imgq
)

// writeSamples writes the sample JPEGs of one size into dir: the very bytes
// `imgq bench images` generates for its runs (pipeline.SampleJPEG, seeds 1–4, q90).
func writeSamples(dir string, sz image.Point) ([]string, error) {
	var files []string
	for seed := range int64(4) {
		b, err := pipeline.SampleJPEG(sz.X, sz.Y, seed+1, quality)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, fmt.Sprintf("sample-%dx%d-%d.jpg", sz.X, sz.Y, seed+1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

// pillowOutputs runs `pillow_bench.py --write-outputs` on files and returns
// the outputs in order, and Pillow's version.
func pillowOutputs(ctx context.Context, python, script, dir string, files []string) ([][]byte, string, error) {
	out := filepath.Join(dir, "pillow")
	args := append([]string{script, "--quality", fmt.Sprint(quality), "--write-outputs", out}, files...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s %s --write-outputs: %w: %s (Pillow: apt-get install python3-pil; scripts/bench-vips.sh installs it)",
			python, filepath.Base(script), err, strings.TrimSpace(stderr.String()))
	}
	var res struct {
		PillowVersion string   `json:"pillow_version"`
		Outputs       []string `json:"outputs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res.Outputs) != len(files) {
		return nil, "", fmt.Errorf("pillow_bench.py --write-outputs printed %q (%v)", stdout.String(), err)
	}
	var outs [][]byte
	for _, p := range res.Outputs {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		outs = append(outs, b)
	}
	return outs, res.PillowVersion, nil
}

// imgqOutputs runs imgq's pipeline (pipeline.Process, what a worker and `imgq
// bench images` run) once on each file. It is the pipeline of the source tree
// this program is built from, which is the measured binary's unless -imgq-bin
// or -imgq-root point elsewhere (the report says so).
func imgqOutputs(ctx context.Context, files []string) ([][]byte, error) {
	spec := pipeline.MustParse(workers.CourseFilters)
	var outs [][]byte
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		b, _, err := pipeline.Process(ctx, in, spec, pipeline.Options{Quality: quality})
		if err != nil {
			return nil, fmt.Errorf("imgq pipeline on %s: %w", f, err)
		}
		outs = append(outs, b)
	}
	return outs, nil
}

// lowestPSNR is the lowest PSNR of outs[i] against refs[i] over i.
func lowestPSNR(outs, refs [][]byte) (float64, error) {
	lowest := math.Inf(1)
	for i := range outs {
		db, err := psnrJPEG(outs[i], refs[i])
		if err != nil {
			return 0, fmt.Errorf("sample %d: %w", i+1, err)
		}
		lowest = min(lowest, db)
	}
	return lowest, nil
}

// psnrJPEG decodes two JPEGs and returns the PSNR of their grey values (100
// when identical), as `imgq bench images` scores its fast path.
func psnrJPEG(a, b []byte) (float64, error) {
	ia, err := jpeg.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, fmt.Errorf("decode output: %w", err)
	}
	ib, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("decode reference: %w", err)
	}
	return bench.PSNRGray(ia, ib)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// keepOutputs writes imgq's and libvips' outputs beside Pillow's (-keep).
func keepOutputs(dir string, files []string, outs ...[][]byte) error {
	for k, side := range []string{"imgq", "vips"} {
		if err := os.MkdirAll(filepath.Join(dir, side), 0o755); err != nil {
			return err
		}
		for i, f := range files {
			if err := os.WriteFile(filepath.Join(dir, side, filepath.Base(f)), outs[k][i], 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
