package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// The processes of `imgq bench images`: Go children (this binary again, with
// --child) and the Pillow reference, started together and timed from a shared start.

// goImagesRun starts o.Procs Go worker processes, waits until each has loaded
// its files and warmed up, starts them together and collects their timings.
func goImagesRun(ctx context.Context, o ImagesOptions, files []string, count int, tick func()) (ImagesRun, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmds := make([]*exec.Cmd, o.Procs)
	for i := range cmds {
		args := []string{"--child-index", strconv.Itoa(i), "--procs", strconv.Itoa(o.Procs), "--images", strconv.Itoa(count),
			"--threads", strconv.Itoa(o.Threads)}
		cmd, err := o.Child(ctx, append(args, files...))
		if err != nil {
			return ImagesRun{}, err
		}
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		if o.GOMAXPROCS > 0 {
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(o.GOMAXPROCS))
		}
		cmds[i] = cmd
	}
	return RunChildren(ctx, cmds, count, tick)
}

// ErrChildArgs is ImagesChild's refusal of arguments it cannot work with.
var ErrChildArgs = errors.New("child: bad --child-index/--procs/--images/--threads or no files")

// ImagesChild is a Go worker process of `bench images` (`--child`): images
// j = index, index+procs, ... below count, using files[j % len(files)], like
// pillow_bench.py. It reads "go" on in before starting the clock. Each image
// may use threads threads (pipeline.Options.Threads; 0: GOMAXPROCS).
func ImagesChild(ctx context.Context, in io.Reader, out io.Writer, index, procs, count, threads int, files []string) error {
	if procs < 1 || index < 0 || index >= procs || count < 1 || threads < 0 || len(files) == 0 {
		return ErrChildArgs
	}
	spec := pipeline.MustParse(workers.CourseFilters)
	opts := pipeline.Options{Quality: benchImagesQuality, Threads: threads}
	var datas [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		datas = append(datas, b)
	}
	var mine []int
	for j := index; j < count; j += procs {
		mine = append(mine, j)
	}
	if len(mine) > 0 { // warm-up: pools, page faults, tables
		if _, _, err := pipeline.Process(ctx, datas[mine[0]%len(datas)], spec, opts); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(out)
	fmt.Fprintln(bw, "ready")
	if err := bw.Flush(); err != nil {
		return err
	}
	if _, err := bufio.NewReader(in).ReadString('\n'); err != nil {
		return fmt.Errorf("child: waiting for go: %w", err)
	}
	res := ChildResult{StartNS: time.Now().UnixNano()}
	cpu0 := SelfCPU()
	for _, j := range mine {
		b, _, err := pipeline.Process(ctx, datas[j%len(datas)], spec, opts)
		if err != nil {
			return err
		}
		res.Images++
		res.OutBytes += int64(len(b))
		_, _ = io.WriteString(out, "p\n") // unbuffered, so the bar moves
	}
	res.CPUNS = int64(SelfCPU() - cpu0)
	res.EndNS = time.Now().UnixNano()
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", line)
	return err
}

// pillowImagesRun runs scripts/pillow_bench.py once with procs processes.
func pillowImagesRun(ctx context.Context, python, script string, procs int, files []string, count int, tick func()) (ImagesRun, error) {
	args := append([]string{script, "--procs", strconv.Itoa(procs), "--count", strconv.Itoa(count),
		"--quality", strconv.Itoa(benchImagesQuality)}, files...)
	cmd := exec.CommandContext(ctx, python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return ImagesRun{}, err
	}
	// Its own group, so Pillow's pool processes are killed with it.
	if err := proc.Start(cmd); err != nil {
		return ImagesRun{}, err
	}
	var res ChildResult
	err = scanChild(out, nil, tick, &res)
	if werr := cmd.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return ImagesRun{}, fmt.Errorf("%s %s: %w: %s", python, filepath.Base(script), err, strings.TrimSpace(stderr.String()))
	}
	return summarize(res.Workers, count)
}

// findPillowPython returns a Python that imports PIL, and Pillow's version.
func findPillowPython(ctx context.Context, explicit string) (string, string, error) {
	cands := []string{"/usr/bin/python3", "python3"}
	if explicit != "" {
		cands = []string{explicit}
	}
	for _, c := range cands {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.CommandContext(ctx, p, "-c", "import PIL; print(PIL.__version__)").Output()
		if err == nil {
			return p, strings.TrimSpace(string(out)), nil
		}
	}
	return "", "", fmt.Errorf("no Python with PIL (tried %s): %s", strings.Join(cands, ", "), pillowHint)
}

// findPillowScript looks for scripts/pillow_bench.py in the working folder and
// its parents, then beside the executable and its parents.
func findPillowScript(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--pillow-script: %w", err)
		}
		return explicit, nil
	}
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	if exe, err := os.Executable(); err == nil {
		roots = append(roots, filepath.Dir(exe))
	}
	for _, d := range roots {
		for {
			p := filepath.Join(d, "scripts", "pillow_bench.py")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return "", errors.New("scripts/pillow_bench.py not found (run from the repository or pass --pillow-script)")
}
