package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/davidbyttow/govips/v2/vips"

	"github.com/imgq/imgq/internal/bench"
)

// The libvips side: the course pipeline written as a govips user would write
// it, and the worker process that runs it over its share of a run's images.

const vipsChildArg = "-vips-child" // argv[1] of a libvips worker process

var vipsOnce sync.Once

// startVips starts libvips once per process: the given thread count (0:
// libvips' own default, one per core) and every cache off, so each image is
// decoded and computed afresh as in a worker that never sees the same photo twice.
func startVips(concurrency int) {
	vipsOnce.Do(func() {
		vips.LoggingSettings(nil, vips.LogLevelError)
		vips.Startup(&vips.Config{ConcurrencyLevel: concurrency, MaxCacheFiles: 0, MaxCacheMem: 0, MaxCacheSize: 0})
	})
}

// vipsCourse is the literal pipeline: linear (multiply by 1.8, as Pillow's
// ImageEnhance.Brightness), gaussblur sigma 2, colourspace b-w, jpegsave Q90
// (baseline, like Pillow's and imgq's), all in memory. linear makes a float
// image, so the blur runs in float; with uchar it casts back to 8 bits first,
// as `vips linear --uchar` does (clipping at 255 as Pillow does).
func vipsCourse(data []byte, uchar bool) ([]byte, error) {
	img, err := vips.NewImageFromBuffer(data)
	if err != nil {
		return nil, fmt.Errorf("vips load: %w", err)
	}
	defer img.Close()
	if err := img.Linear1(1.8, 0); err != nil {
		return nil, fmt.Errorf("vips linear: %w", err)
	}
	if uchar {
		if err := img.Cast(vips.BandFormatUchar); err != nil {
			return nil, fmt.Errorf("vips cast: %w", err)
		}
	}
	if err := img.GaussianBlur(2); err != nil {
		return nil, fmt.Errorf("vips gaussblur: %w", err)
	}
	if err := img.ToColorSpace(vips.InterpretationBW); err != nil {
		return nil, fmt.Errorf("vips colourspace: %w", err)
	}
	out, _, err := img.ExportJpeg(&vips.JpegExportParams{Quality: 90})
	if err != nil {
		return nil, fmt.Errorf("vips jpegsave: %w", err)
	}
	return out, nil
}

// vipsChildMain is a libvips worker process: images j = index, index+procs,
// ... below count, using files[j % len(files)] (imgq's and Pillow's share).
// It warms up on one image, prints "ready", waits for a line on stdin, then
// prints "p" per image and the result as JSON.
func vipsChildMain(args []string) error {
	fs := flag.NewFlagSet("vips-child", flag.ContinueOnError)
	index := fs.Int("index", 0, "")
	procs := fs.Int("procs", 1, "")
	count := fs.Int("images", 0, "")
	conc := fs.Int("concurrency", 0, "")
	uchar := fs.Bool("uchar", false, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if *procs < 1 || *index < 0 || *index >= *procs || *count < 1 || len(files) == 0 {
		return errors.New("bad -index/-procs/-images or no files")
	}
	var datas [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		datas = append(datas, b)
	}
	startVips(*conc)
	defer vips.Shutdown()
	var mine []int
	for j := *index; j < *count; j += *procs {
		mine = append(mine, j)
	}
	if len(mine) > 0 { // warm-up: thread pool, page faults, codec tables
		if _, err := vipsCourse(datas[mine[0]%len(datas)], *uchar); err != nil {
			return err
		}
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	if err := out.Flush(); err != nil {
		return err
	}
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for go: %w", err)
	}
	res := bench.ChildResult{StartNS: time.Now().UnixNano()}
	cpu0 := bench.SelfCPU() // every thread of this process, libvips' included
	for _, j := range mine {
		b, err := vipsCourse(datas[j%len(datas)], *uchar)
		if err != nil {
			return err
		}
		res.Images++
		res.OutBytes += int64(len(b))
		_, _ = io.WriteString(os.Stdout, "p\n") // unbuffered, so the bar moves
	}
	res.CPUNS = int64(bench.SelfCPU() - cpu0)
	res.EndNS = time.Now().UnixNano()
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", line)
	return err
}

// vipsOutputs runs the pipeline once on each file in this process, for the
// quality check.
func vipsOutputs(ctx context.Context, concurrency int, uchar bool, files []string) ([][]byte, error) {
	startVips(concurrency)
	var outs [][]byte
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		o, err := vipsCourse(b, uchar)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		outs = append(outs, o)
	}
	return outs, nil
}
