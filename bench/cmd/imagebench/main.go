// Command imagebench runs the course pipeline (brightness 1.8 → blur 2 →
// grayscale → JPEG q90) in imgq and in libvips on the same sample JPEGs, in the
// same run, interleaved repetition by repetition (issue 14, target 1), and
// scores both outputs against Pillow's for the same pipeline.
//
//	scripts/bench-vips.sh                          # installs libvips-dev, python3-pil; runs this
//	cd bench && go run ./cmd/imagebench -reps 5 -json
//	cd bench && go run ./cmd/imagebench -imgq-args '--gomaxprocs 0'
//
// The comparison: the same number of processes P on each side (P = cores by
// default), every process handling one image at a time with its library's
// default threading. That is what a user does with either library to use a
// machine's cores for a stream of photos: start a worker process per core.
// libvips then also uses threads inside each image (its default concurrency is
// the number of cores), imgq whatever its flags say (-imgq-args); both get the
// whole machine and the figure is images/s of the whole machine.
//
// imgq is measured by its own `imgq bench images --no-pillow --json` (built
// from the parent module, or -imgq-bin), so this program and that command can
// never disagree; libvips by this binary re-executed as worker processes
// (govips, cgo: this nested module only, never the main one).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"os/signal"
	"runtime"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == vipsChildArg {
		if err := vipsChildMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "imagebench vips worker:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.sizes, "sizes", "640x480,1920x1080", "image sizes WxH, comma-separated")
	flag.IntVar(&o.images, "images", 0, "images per size and run, shared among the processes (0: about 128 megapixels' worth, as imgq bench images)")
	flag.IntVar(&o.procs, "procs", runtime.NumCPU(), "worker processes on each side")
	flag.IntVar(&o.reps, "reps", 3, "repetitions; imgq and libvips alternate who goes first (medians are reported)")
	flag.IntVar(&o.vipsConcurrency, "vips-concurrency", 0, "threads of each libvips process (0: libvips' default, the number of cores; note govips' Startup(nil) would set 1)")
	flag.BoolVar(&o.vipsUchar, "vips-uchar", false, "libvips casts to 8 bits after linear (vips linear --uchar), so the blur runs on uchar as Pillow's and imgq's do; default: the literal float pipeline")
	flag.StringVar(&o.imgqBin, "imgq-bin", "", "imgq binary to measure (default: build the imgq module above the working folder, or -imgq-root)")
	flag.StringVar(&o.imgqRoot, "imgq-root", "", "imgq source tree to build when -imgq-bin is not given (default: the module above the working folder)")
	flag.StringVar(&o.imgqArgs, "imgq-args", "", "extra arguments for imgq bench images, space-separated (for example '--gomaxprocs 0')")
	flag.StringVar(&o.label, "label", "", "a name for the imgq build in the report (default: its source folder or binary)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with PIL, for the reference outputs")
	flag.StringVar(&o.pillowScript, "pillow-script", "", "path of pillow_bench.py (default: scripts/pillow_bench.py of the imgq tree)")
	flag.StringVar(&o.keep, "keep", "", "write the samples and every side's outputs into this folder and keep them (default: a temporary folder)")
	flag.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	jsonFile := flag.String("json-file", "", "also write the JSON report to this file")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		fail(err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		fail(err)
	}
	js = append(js, '\n')
	if *jsonFile != "" {
		if err := os.WriteFile(*jsonFile, js, 0o644); err != nil {
			fail(err)
		}
	}
	if o.asJSON {
		_, _ = os.Stdout.Write(js)
		return
	}
	rep.writeTable(os.Stdout)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagebench:", err)
	os.Exit(1)
}

type options struct {
	sizes                string
	images, procs, reps  int
	vipsConcurrency      int
	vipsUchar            bool
	imgqBin, imgqRoot    string
	imgqArgs, label      string
	python, pillowScript string
	keep                 string
	asJSON               bool
	parsedSizes          []image.Point
	parsedImgqArgs       []string
}

func (o *options) check() error {
	if o.procs < 1 || o.reps < 1 || o.images < 0 || o.vipsConcurrency < 0 {
		return errors.New("-procs and -reps must be at least 1, -images and -vips-concurrency at least 0")
	}
	for _, part := range strings.Split(o.sizes, ",") {
		var w, h int
		if n, err := fmt.Sscanf(strings.TrimSpace(strings.ToLower(part)), "%dx%d", &w, &h); n != 2 || err != nil || w < 8 || h < 8 || w > 8192 || h > 8192 {
			return fmt.Errorf("-sizes: %q is not WxH (8..8192, for example 640x480)", part)
		}
		o.parsedSizes = append(o.parsedSizes, image.Pt(w, h))
	}
	o.parsedImgqArgs = strings.Fields(o.imgqArgs)
	return nil
}

// imagesFor is the run size: o.images, or about 128 megapixels rounded up to
// a multiple of the processes, exactly as `imgq bench images` computes it.
func (o *options) imagesFor(sz image.Point) int {
	if o.images > 0 {
		return o.images
	}
	n := int(math.Ceil(128 * 1e6 / float64(sz.X*sz.Y)))
	return (n + o.procs - 1) / o.procs * o.procs
}
