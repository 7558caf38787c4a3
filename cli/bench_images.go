package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/bench"
	"github.com/imgq/imgq/workers"
)

type benchImagesFlags struct {
	sizes, python, script string
	images, procs, reps   int
	gomaxprocs, threads   int
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
  imgq bench images --sizes 640x480,1920x1080 --images 100 --procs 2 --reps 5 --json
  imgq bench images --procs 1 --threads 2   # one process spreading each image over 2 cores`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.child {
				return nil
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.child {
				err := bench.ImagesChild(cmd.Context(), os.Stdin, g.out, f.childIndex, f.procs, f.images, f.threads, args)
				if errors.Is(err, bench.ErrChildArgs) {
					return usageError{err}
				}
				return err
			}
			return runBenchImages(g, cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sizes, "sizes", "640x480,1920x1080", "image sizes WxH, comma-separated")
	fl.IntVar(&f.images, "images", 0, "images per size and run, shared among the processes (0: about 128 megapixels' worth)")
	fl.IntVar(&f.procs, "procs", numCPU(), "worker processes on each side")
	fl.IntVar(&f.reps, "reps", 3, "repetitions; Go and Pillow alternate within each (medians are reported)")
	fl.IntVar(&f.threads, "threads", 0, "threads each Go worker process spreads one image over (0: CPUs / --procs, at least 1); Pillow is single-threaded")
	fl.IntVar(&f.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS of each Go worker process (default: its --threads; 0 given explicitly: Go's default)")
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

func runBenchImages(g *globals, cmd *cobra.Command, f *benchImagesFlags) error {
	sizes, err := bench.ParseSizes(f.sizes)
	if err != nil {
		return usageError{err}
	}
	if f.procs < 1 || f.reps < 1 || f.images < 0 || f.gomaxprocs < 0 || f.threads < 0 {
		return usageError{errors.New("--procs and --reps must be at least 1, --images, --threads and --gomaxprocs at least 0")}
	}
	threads := f.threads
	if threads == 0 {
		threads = max(1, numCPU()/f.procs)
	}
	gomaxprocs := f.gomaxprocs
	if !cmd.Flags().Changed("gomaxprocs") {
		// A child with fewer Ps than threads could not run them at once.
		gomaxprocs = threads
	}
	rep, err := bench.RunImages(cmd.Context(), bench.ImagesOptions{Sizes: sizes, Images: f.images, Procs: f.procs, Reps: f.reps,
		GOMAXPROCS: gomaxprocs, Threads: threads, NoPillow: f.noPillow, Python: f.python, PillowScript: f.script,
		Progress: g.errOut, Notes: g.errOut})
	if err != nil {
		return err
	}
	return g.printReport(rep, f.asJSON)
}
