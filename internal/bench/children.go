package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os/exec"
	"strings"
	"sync"

	"github.com/imgq/imgq/internal/proc"
)

// The worker processes of an image benchmark, whatever library they run (imgq's
// Go children, the libvips workers of bench/cmd/imagebench): each loads its
// files and warms up, prints "ready", waits for a line on stdin, prints "p" per
// image, and ends with one JSON line, a ChildResult. RunChildren starts them
// together and sums their timings, so every side is timed the same way.

// ChildResult is the last line a worker process (Go child, libvips worker or
// the Pillow script) prints, as JSON.
type ChildResult struct {
	Images   int   `json:"images"`
	StartNS  int64 `json:"start_ns"`
	EndNS    int64 `json:"end_ns"`
	CPUNS    int64 `json:"cpu_ns"`
	OutBytes int64 `json:"out_bytes"`
	// Pillow's whole-run summary.
	Workers []ChildResult `json:"workers,omitempty"`
}

// RunChildren starts cmds (each in its own process group, killed with ctx),
// waits until every one is ready, starts them together and returns their
// summed run: wall time max(end) − min(start), CPU of every process. tick is
// called once per image. A process that fails ends the run with its stderr.
func RunChildren(ctx context.Context, cmds []*exec.Cmd, count int, tick func()) (ImagesRun, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type child struct {
		stdin  io.WriteCloser
		stderr bytes.Buffer
		res    ChildResult
		err    error
	}
	children := make([]*child, len(cmds))
	ready := make(chan struct{}, len(cmds))
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for i, cmd := range cmds {
		c := &child{}
		children[i] = c
		cmd.Stderr = &c.stderr
		var err error
		if c.stdin, err = cmd.StdinPipe(); err != nil {
			return ImagesRun{}, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return ImagesRun{}, err
		}
		// Its own group, killed whole when ctx ends, and dying with us.
		if err := proc.Start(cmd); err != nil {
			return ImagesRun{}, err
		}
		wg.Go(func() {
			err := scanChild(out, func() { ready <- struct{}{} }, tick, &c.res)
			if werr := cmd.Wait(); err == nil {
				err = werr
			}
			if err != nil {
				c.err = fmt.Errorf("worker process %d: %w: %s", i, err, strings.TrimSpace(c.stderr.String()))
				cancel()
			}
		})
	}
	firstErr := func() error {
		for _, c := range children {
			if c.err != nil {
				return c.err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return errors.New("worker processes ended early")
	}
	for range children {
		select {
		case <-ready:
		case <-ctx.Done():
			wg.Wait()
			return ImagesRun{}, firstErr()
		}
	}
	for _, c := range children {
		_, _ = io.WriteString(c.stdin, "go\n")
		c.stdin.Close()
	}
	wg.Wait()
	rs := make([]ChildResult, 0, len(children))
	for _, c := range children {
		if c.err != nil {
			return ImagesRun{}, c.err
		}
		rs = append(rs, c.res)
	}
	return summarize(rs, count)
}

func summarize(rs []ChildResult, want int) (ImagesRun, error) {
	var run ImagesRun
	var first, last, cpu int64
	for i, r := range rs {
		if i == 0 || r.StartNS < first {
			first = r.StartNS
		}
		last = max(last, r.EndNS)
		cpu += r.CPUNS
		run.Images += r.Images
		run.OutBytes += r.OutBytes
	}
	if run.Images != want {
		return run, fmt.Errorf("workers processed %d images, want %d", run.Images, want)
	}
	if last <= first {
		return run, errors.New("workers reported no time")
	}
	run.Seconds = round3(float64(last-first) / 1e9)
	run.ImagesPerSec = round3(float64(run.Images) / (float64(last-first) / 1e9))
	run.CPUMSPerImage = round3(float64(cpu) / 1e6 / float64(run.Images))
	return run, nil
}

// scanChild reads a worker's stdout: "ready", one "p" per image, then JSON.
func scanChild(r io.Reader, ready func(), tick func(), res *ChildResult) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	got := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case string(line) == "p":
			tick()
		case string(line) == "ready":
			if ready != nil {
				ready()
			}
		case len(line) > 0 && line[0] == '{':
			if err := json.Unmarshal(line, res); err != nil {
				return fmt.Errorf("result line: %w", err)
			}
			got = true
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !got {
		return errors.New("no result line")
	}
	return nil
}

// PSNRGray is the PSNR in dB of two images' grey values (100 when they are
// equal); their sizes must match.
func PSNRGray(a, b image.Image) (float64, error) {
	ra, rb := a.Bounds(), b.Bounds()
	if ra.Size() != rb.Size() || ra.Empty() {
		return 0, fmt.Errorf("psnr: sizes %v and %v differ", ra.Size(), rb.Size())
	}
	var sum float64
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			ga := color.GrayModel.Convert(a.At(ra.Min.X+x, ra.Min.Y+y)).(color.Gray).Y
			gb := color.GrayModel.Convert(b.At(rb.Min.X+x, rb.Min.Y+y)).(color.Gray).Y
			d := float64(ga) - float64(gb)
			sum += d * d
		}
	}
	if sum == 0 {
		return 100, nil
	}
	mse := sum / float64(ra.Dx()*ra.Dy())
	return round3(10 * math.Log10(255*255/mse)), nil
}
