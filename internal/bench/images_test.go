package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The test binary plays `imgq bench images --child`: ImagesOptions.Child re-runs
// it with only TestBenchImagesChildProcess selected and the child's arguments
// in the environment.
const benchImagesChildEnv = "IMGQ_TEST_BENCH_IMAGES_CHILD"

func TestBenchImagesChildProcess(t *testing.T) {
	env := os.Getenv(benchImagesChildEnv)
	if env == "" {
		t.Skip("helper process for TestBenchImagesJSON")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	index, procs, images := fs.Int("child-index", 0, ""), fs.Int("procs", 0, ""), fs.Int("images", 0, "")
	threads := fs.Int("threads", 0, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := ImagesChild(context.Background(), os.Stdin, os.Stdout, *index, *procs, *images, *threads, fs.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func TestBenchImagesJSON(t *testing.T) {
	child := func(ctx context.Context, args []string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBenchImagesChildProcess$")
		// goImagesRun appends to Env; seed it with ours plus the arguments.
		js, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(os.Environ(), benchImagesChildEnv+"="+string(js))
		return cmd, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunImages(ctx, ImagesOptions{Sizes: []image.Point{{64, 48}, {40, 30}}, Images: 4, Procs: 2, Reps: 1,
		GOMAXPROCS: 1, Threads: 2, NoPillow: true, Child: child})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Procs != 2 || rep.Reps != 1 || rep.Quality != 90 || rep.Filters != "brightness:1.8,blur:2,grayscale" ||
		rep.Machine.CPUs < 1 || rep.ChildGOMAXPROCS != 1 || rep.ChildThreads != 2 || rep.PillowVersion != "" || len(rep.Sizes) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for i, want := range []string{"64x48", "40x30"} {
		s := rep.Sizes[i]
		if s.Size != want || s.Images != 4 || s.Samples < 1 || len(s.Go) != 1 || len(s.Pillow) != 0 || s.Ratio != 0 {
			t.Fatalf("size %d: %+v", i, s)
		}
		r := s.Go[0]
		// Seconds is rounded to the millisecond: four 64×48 images on a fast
		// machine take less, so 0 is a fair reading there (ImagesPerSec is not rounded).
		if r.Rep != 1 || r.Images != 4 || r.Seconds < 0 || r.ImagesPerSec <= 0 || r.OutBytes <= 0 || r.CPUMSPerImage < 0 {
			t.Fatalf("%s run %+v", want, r)
		}
		if s.GoImagesPerSec != r.ImagesPerSec || !s.PSNROK || s.PSNRdB < 40 {
			t.Fatalf("%s: %+v", want, s)
		}
	}
	// The table form of the same report.
	var tab bytes.Buffer
	rep.WriteTable(&tab)
	for _, want := range []string{"GO IMG/S", "64x48", "PSNR ≥ 40 dB against pipeline.Reference: met"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
}

func TestBenchImagesHelpers(t *testing.T) {
	sz, err := ParseSizes("640x480, 1920X1080")
	if err != nil || len(sz) != 2 || sz[0] != image.Pt(640, 480) || sz[1] != image.Pt(1920, 1080) {
		t.Fatalf("parseSizes: %v %v", sz, err)
	}
	for _, bad := range []string{"", "640", "x480", "0x10", "10x-1", "640x480,"} {
		if _, err := ParseSizes(bad); err == nil {
			t.Errorf("ParseSizes(%q) accepted", bad)
		}
	}
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	if db, err := PSNRGray(g, g); err != nil || db != 100 {
		t.Fatalf("identical: %v %v", db, err)
	}
	h := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range h.Pix {
		h.Pix[i] = 1 // MSE 1: 48.13 dB
	}
	if db, _ := PSNRGray(g, h); db < 48.1 || db > 48.2 {
		t.Fatalf("MSE 1 gave %v dB", db)
	}
	if _, err := PSNRGray(g, image.NewGray(image.Rect(0, 0, 4, 5))); err == nil {
		t.Fatal("different sizes accepted")
	}
	run, err := summarize([]ChildResult{{Images: 2, StartNS: 1e9, EndNS: 2e9, CPUNS: 1e9}, {Images: 2, StartNS: 1.5e9, EndNS: 3e9, CPUNS: 1e9}}, 4)
	if err != nil || run.Seconds != 2 || run.ImagesPerSec != 2 || run.CPUMSPerImage != 500 {
		t.Fatalf("summarize: %+v %v", run, err)
	}
	if _, err := summarize([]ChildResult{{Images: 3, StartNS: 1, EndNS: 2}}, 4); err == nil {
		t.Fatal("missing images accepted")
	}
}
