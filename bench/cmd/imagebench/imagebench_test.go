package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imgq/imgq/workers/pipeline"
)

// TestMain lets this test binary be a libvips worker process, as the command is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == vipsChildArg {
		if err := vipsChildMain(os.Args[2:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func samples(t *testing.T, w, h int) []string {
	t.Helper()
	files, err := writeSamples(t.TempDir(), image.Pt(w, h))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestVipsCourseMakesGreyJPEGOfTheSameSize(t *testing.T) {
	files := samples(t, 96, 64)
	for _, uchar := range []bool{false, true} {
		outs, err := vipsOutputs(context.Background(), 1, uchar, files[:1])
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(outs[0]))
		if err != nil {
			t.Fatalf("uchar=%v: %v", uchar, err)
		}
		if _, ok := img.(*image.Gray); !ok || img.Bounds().Dx() != 96 || img.Bounds().Dy() != 64 {
			t.Fatalf("uchar=%v: got %T %v, want a 96×64 grey image", uchar, img, img.Bounds())
		}
	}
}

// The libvips run shares the images as imgq's does, and every image is
// processed exactly once across the worker processes.
func TestVipsRunCountsEveryImageOnce(t *testing.T) {
	files := samples(t, 64, 48)
	var ticks atomic.Int64
	r, err := vipsRun(context.Background(), 2, 1, false, files, 5, func() { ticks.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 5 || ticks.Load() != 5 || r.ImagesPerSec <= 0 || r.OutBytes <= 0 || r.CPUMSPerImage <= 0 {
		t.Fatalf("run %+v, %d ticks: want 5 images, 5 ticks, positive rate, bytes and CPU", r, ticks.Load())
	}
}

func TestVipsChildRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-index", "2", "-procs", "2", "-images", "4", "x.jpg"},
		{"-index", "0", "-procs", "1", "-images", "0", "x.jpg"},
		{"-index", "0", "-procs", "1", "-images", "4"},
	} {
		if err := vipsChildMain(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestPSNR(t *testing.T) {
	files := samples(t, 64, 48)
	a, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	if db, err := psnrJPEG(a, a); err != nil || db != 100 {
		t.Fatalf("identical: %v dB, %v; want 100", db, err)
	}
	db, err := psnrJPEG(a, b)
	if err != nil || db <= 0 || db >= 100 {
		t.Fatalf("different samples: %v dB, %v; want between 0 and 100", db, err)
	}
	if low, err := lowestPSNR([][]byte{a, a}, [][]byte{a, b}); err != nil || low != db {
		t.Fatalf("lowest: %v, %v; want %v", low, err, db)
	}
	other, err := pipeline.SampleJPEG(32, 48, 1, quality)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := psnrJPEG(a, other); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("sizes differ: %v", err)
	}
	if _, err := psnrJPEG([]byte("not a jpeg"), a); err == nil {
		t.Fatal("no error for a broken output")
	}
}

// imgq's progress bar, redrawn with \r, moves ours by its counter.
func TestImgqProgressParsing(t *testing.T) {
	in := "building\n\rimages: Go      [██░░] 10% 12/120\rimages: Go      [████] 100% 120/120\nbench images: a note\n"
	sc := bufio.NewScanner(strings.NewReader(in))
	sc.Split(scanCRLines)
	var counts []string
	var notes []string
	for sc.Scan() {
		if m := imgqProgress.FindStringSubmatch(sc.Text()); m != nil {
			counts = append(counts, m[1])
		} else if sc.Text() != "" {
			notes = append(notes, sc.Text())
		}
	}
	if strings.Join(counts, ",") != "12,120" || strings.Join(notes, "|") != "building|bench images: a note" {
		t.Fatalf("counts %q, notes %q", counts, notes)
	}
}

func TestOptionsCheck(t *testing.T) {
	good := options{sizes: "640x480, 1920X1080", procs: 2, reps: 1, imgqArgs: " --gomaxprocs  0 "}
	if err := good.check(); err != nil {
		t.Fatal(err)
	}
	if len(good.parsedSizes) != 2 || good.parsedSizes[1] != image.Pt(1920, 1080) || strings.Join(good.parsedImgqArgs, " ") != "--gomaxprocs 0" {
		t.Fatalf("parsed %v %q", good.parsedSizes, good.parsedImgqArgs)
	}
	// The automatic count is imgq bench images' own: ~128 MP, a multiple of P.
	if n := good.imagesFor(image.Pt(640, 480)); n != 418 {
		t.Fatalf("640x480: %d images, want 418", n)
	}
	for _, bad := range []options{
		{sizes: "640", procs: 1, reps: 1},
		{sizes: "640x480", procs: 0, reps: 1},
		{sizes: "640x480", procs: 1, reps: 1, vipsConcurrency: -1},
	} {
		if err := bad.check(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestKeepOutputsWritesEachSide(t *testing.T) {
	dir := t.TempDir()
	files := []string{"/x/a.jpg"}
	if err := keepOutputs(dir, files, [][]byte{[]byte("i")}, [][]byte{[]byte("v")}); err != nil {
		t.Fatal(err)
	}
	for side, want := range map[string]string{"imgq": "i", "vips": "v"} {
		b, err := os.ReadFile(filepath.Join(dir, side, "a.jpg"))
		if err != nil || string(b) != want {
			t.Fatalf("%s: %q, %v", side, b, err)
		}
	}
}
