package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/internal/proc"
)

// One timed run of each side at one size: libvips in P processes of this
// binary, imgq in its own `imgq bench images` with P worker processes.

// runResult is one timed run of one side, as `imgq bench images` reports its runs.
type runResult = bench.ImagesRun

// vipsRun starts procs libvips worker processes on files, waits until every
// one has warmed up, starts them together and sums their timings
// (bench.RunChildren: wall time max(end) − min(start), CPU of every thread).
func vipsRun(ctx context.Context, procs, concurrency int, uchar bool, files []string, count int, tick func()) (runResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return runResult{}, err
	}
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		args := append([]string{vipsChildArg, "-index", strconv.Itoa(i), "-procs", strconv.Itoa(procs),
			"-images", strconv.Itoa(count), "-concurrency", strconv.Itoa(concurrency), "-uchar=" + strconv.FormatBool(uchar)}, files...)
		cmds[i] = exec.CommandContext(ctx, exe, args...)
	}
	return bench.RunChildren(ctx, cmds, count, tick)
}

// imgqProgress matches the counter of imgq's progress bar ("… 120/418").
var imgqProgress = regexp.MustCompile(`(\d+)/(\d+)\s*$`)

// imgqRun runs `imgq bench images --json --no-pillow` for one size and one
// repetition, with the extra arguments, and returns its run and its report
// (whose PSNR is imgq's fast path against its own reference pipeline). Its
// progress bar moves ours.
func imgqRun(ctx context.Context, bin string, extra []string, size string, procs, count int, tick func(n int)) (runResult, bench.ImagesSizeResult, error) {
	args := append([]string{"bench", "images", "--json", "--no-pillow", "--sizes", size, "--procs", strconv.Itoa(procs),
		"--images", strconv.Itoa(count), "--reps", "1"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return runResult{}, bench.ImagesSizeResult{}, err
	}
	if err := proc.Start(cmd); err != nil {
		return runResult{}, bench.ImagesSizeResult{}, err
	}
	var notes []string
	sc := bufio.NewScanner(errPipe)
	sc.Split(scanCRLines)
	seen := 0
	for sc.Scan() {
		line := sc.Text()
		if m := imgqProgress.FindStringSubmatch(line); m != nil && strings.Contains(line, "[") {
			if n, _ := strconv.Atoi(m[1]); n > seen {
				tick(n - seen)
				seen = n
			}
			continue
		}
		if strings.TrimSpace(line) != "" {
			notes = append(notes, line)
		}
	}
	if err := cmd.Wait(); err != nil {
		return runResult{}, bench.ImagesSizeResult{}, fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.Join(notes, "; "))
	}
	if seen < count {
		tick(count - seen)
	}
	var rep bench.ImagesReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return runResult{}, bench.ImagesSizeResult{}, fmt.Errorf("imgq bench images --json: %w", err)
	}
	if len(rep.Sizes) != 1 || len(rep.Sizes[0].Go) != 1 {
		return runResult{}, bench.ImagesSizeResult{}, errors.New("imgq bench images --json: not one size with one run")
	}
	s := rep.Sizes[0]
	if rep.Procs != procs || s.Images != count {
		return runResult{}, s, fmt.Errorf("imgq ran %d processes on %d images, want %d on %d (do not pass --procs or --images in -imgq-args)",
			rep.Procs, s.Images, procs, count)
	}
	return s.Go[0], s, nil
}

// scanCRLines splits on \n and on \r, the progress bar's redraws.
func scanCRLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
