package cli

// `imgq bench images`: the course pipeline (brightness:1.8,blur:2,grayscale,
// JPEG q90) in P Go worker processes against Pillow in P Python processes, on
// the same sample JPEGs, interleaved in the same run (issue 4, target 4).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

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
	rep := ImagesReport{Machine: localMachine(), LoadAvgStart: loadAvg(), Filters: workers.CourseFilters,
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
	bar := NewProgress(o.Progress, "images: Go vs Pillow", int64(total))
	if !withPillow {
		bar = NewProgress(o.Progress, "images: Go", int64(total))
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
			s.Ratio = round3(Median(s.Ratios))
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
	return round3(Median(a)), round3(Median(b))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// childResult is the last line a worker process (Go child or the Pillow
// script) prints, as JSON.
type childResult struct {
	Images   int   `json:"images"`
	StartNS  int64 `json:"start_ns"`
	EndNS    int64 `json:"end_ns"`
	CPUNS    int64 `json:"cpu_ns"`
	OutBytes int64 `json:"out_bytes"`
	// Pillow's whole-run summary.
	Workers []childResult `json:"workers"`
}

func summarize(rs []childResult, want int) (ImagesRun, error) {
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
func scanChild(r io.Reader, ready func(), tick func(), res *childResult) error {
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

// killGroup makes a command a process-group leader that dies with us and is
// killed with its children when ctx ends.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// goImagesRun starts o.Procs Go worker processes, waits until each has loaded
// its files and warmed up, starts them together and collects their timings.
func goImagesRun(ctx context.Context, o BenchImagesOptions, files []string, count int, tick func()) (ImagesRun, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		stderr bytes.Buffer
		res    childResult
		err    error
	}
	children := make([]*child, o.Procs)
	readyCh := make(chan struct{}, o.Procs)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for i := range children {
		args := []string{"--child-index", strconv.Itoa(i), "--procs", strconv.Itoa(o.Procs), "--images", strconv.Itoa(count)}
		cmd, err := benchImagesChild(ctx, append(args, files...))
		if err != nil {
			return ImagesRun{}, err
		}
		c := &child{cmd: cmd}
		children[i] = c
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		if o.GOMAXPROCS > 0 {
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(o.GOMAXPROCS))
		}
		cmd.Stderr = &c.stderr
		killGroup(cmd)
		if c.stdin, err = cmd.StdinPipe(); err != nil {
			return ImagesRun{}, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return ImagesRun{}, err
		}
		if err := cmd.Start(); err != nil {
			return ImagesRun{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := scanChild(out, func() { readyCh <- struct{}{} }, tick, &c.res)
			if werr := cmd.Wait(); err == nil {
				err = werr
			}
			if err != nil {
				c.err = fmt.Errorf("worker process %d: %w: %s", i, err, strings.TrimSpace(c.stderr.String()))
				cancel()
			}
		}()
	}
	for range children {
		select {
		case <-readyCh:
		case <-ctx.Done():
			wg.Wait()
			return ImagesRun{}, firstChildErr(ctx, children, func(c *child) error { return c.err })
		}
	}
	for _, c := range children {
		_, _ = io.WriteString(c.stdin, "go\n")
		c.stdin.Close()
	}
	wg.Wait()
	var rs []childResult
	for _, c := range children {
		if c.err != nil {
			return ImagesRun{}, c.err
		}
		rs = append(rs, c.res)
	}
	return summarize(rs, count)
}

func firstChildErr[T any](ctx context.Context, cs []T, errOf func(T) error) error {
	for _, c := range cs {
		if err := errOf(c); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("worker processes ended early")
}

// runImagesChild is a Go worker process: images j = index, index+procs, ...
// below count, using files[j % len(files)], like pillow_bench.py.
func runImagesChild(ctx context.Context, in io.Reader, out io.Writer, index, procs, count int, files []string) error {
	if procs < 1 || index < 0 || index >= procs || count < 1 || len(files) == 0 {
		return usageError{errors.New("child: bad --child-index/--procs/--images or no files")}
	}
	spec := pipeline.MustParse(workers.CourseFilters)
	opts := pipeline.Options{Quality: benchImagesQuality}
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
	res := childResult{StartNS: time.Now().UnixNano()}
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
	killGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return ImagesRun{}, err
	}
	if err := cmd.Start(); err != nil {
		return ImagesRun{}, err
	}
	var res childResult
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

// fastVsReferencePSNR runs in through Process (the fast path, JPEG q90) and
// through pipeline.Reference + image/jpeg q90, decodes both outputs with
// image/jpeg and returns the PSNR of their grey values (100 if identical).
func fastVsReferencePSNR(ctx context.Context, in []byte, spec pipeline.Spec) (float64, error) {
	fast, _, err := pipeline.Process(ctx, in, spec, pipeline.Options{Quality: benchImagesQuality})
	if err != nil {
		return 0, err
	}
	img, _, err := pipeline.Decode(in, pipeline.DefaultLimits())
	if err != nil {
		return 0, err
	}
	ref, err := pipeline.Reference(img, spec)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, ref, &jpeg.Options{Quality: benchImagesQuality}); err != nil {
		return 0, err
	}
	a, err := jpeg.Decode(bytes.NewReader(fast))
	if err != nil {
		return 0, fmt.Errorf("decode fast output: %w", err)
	}
	b, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return 0, fmt.Errorf("decode reference output: %w", err)
	}
	return psnrGray(a, b)
}

func psnrGray(a, b image.Image) (float64, error) {
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

func localMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load average (Linux), or nil.
func loadAvg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	var out []float64
	for _, f := range strings.Fields(string(b))[:3] {
		v, _ := strconv.ParseFloat(f, 64)
		out = append(out, v)
	}
	return out
}

func printImagesReport(w io.Writer, rep ImagesReport) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, %s; load average %v at start, %v at end\n", m.CPUs, m.CPUModel, m.GoVersion, m.Date,
		rep.LoadAvgStart, rep.LoadAvgEnd)
	gmp := "Go's default GOMAXPROCS"
	if rep.ChildGOMAXPROCS > 0 {
		gmp = fmt.Sprintf("GOMAXPROCS=%d each", rep.ChildGOMAXPROCS)
	}
	pil := "Pillow not run: " + rep.PillowNote
	if rep.PillowVersion != "" {
		pil = fmt.Sprintf("Pillow %s (%s)", rep.PillowVersion, rep.Python)
	}
	fmt.Fprintf(w, "pipeline %s, JPEG q%d; %d Go processes (%s) vs %d Pillow processes; %s\n", rep.Filters, rep.Quality,
		rep.Procs, gmp, rep.Procs, pil)
	fmt.Fprintf(w, "%d interleaved reps, medians; wall time from the workers' common start to the last one's end; %.0fs in all\n\n",
		rep.Reps, rep.Seconds)
	rows := [][]string{}
	allRatio, allPSNR := true, true
	for _, s := range rep.Sizes {
		pil, pcpu, ratio, ratios := "-", "-", "-", "-"
		if len(s.Pillow) > 0 {
			pil = fmt.Sprintf("%.1f", s.PillowImagesPerSec)
			pcpu = fmt.Sprintf("%.1f", s.PillowCPUMSPerImage)
			ratio = fmt.Sprintf("%.2f×", s.Ratio)
			var rs []string
			for _, r := range s.Ratios {
				rs = append(rs, fmt.Sprintf("%.2f", r))
			}
			ratios = strings.Join(rs, " ")
			allRatio = allRatio && s.Ratio >= 1
		}
		allPSNR = allPSNR && s.PSNROK
		rows = append(rows, []string{s.Size, strconv.Itoa(s.Images), fmt.Sprintf("%.1f", s.GoImagesPerSec), pil, ratio, ratios,
			fmt.Sprintf("%.1f", s.GoCPUMSPerImage), pcpu, fmt.Sprintf("%.1f dB", s.PSNRdB)})
	}
	table(w, []string{"SIZE", "IMAGES", "GO IMG/S", "PILLOW IMG/S", "GO/PILLOW", "PER REP", "GO CPU MS/IMG", "PILLOW CPU MS/IMG", "PSNR VS REFERENCE"}, rows)
	fmt.Fprintln(w)
	if rep.PillowVersion != "" {
		fmt.Fprintf(w, "target ≥ 1.0× Pillow's images/s: %s\n", okWord(allRatio))
	}
	fmt.Fprintf(w, "target PSNR ≥ %d dB against pipeline.Reference: %s\n", benchImagesPSNRMin, okWord(allPSNR))
}
