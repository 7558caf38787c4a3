package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// Handler runs one claimed task and returns the result to store. Wrap errors
// with queue.Permanent when retrying cannot help.
type Handler func(ctx context.Context, t queue.Claimed) ([]byte, error)

// ErrInjected is the retryable failure the dashboard's `x` key injects, for
// teaching retries and dead letters.
var ErrInjected = errors.New("injected failure (failure injection is on)")

// ImageHandler processes image tasks with the pipeline.
type ImageHandler struct {
	Queue  *queue.Queue
	Output *os.Root // outputs can never escape this folder
	Input  *os.Root // inputs named by a path (the course's image_path) are read only from here; nil refuses them
	Limits pipeline.Limits
	// Cores is the thread budget of the images processed at once (see
	// pipeline.Cores): with idle slots, an image spreads over the idle
	// cores; with every slot busy, each image runs on its own thread. nil:
	// the process-wide budget of GOMAXPROCS threads, which every handler of
	// the process (a Pool's workers) shares.
	Cores    *pipeline.Cores
	failRate atomic.Uint64 // shared failure-injection rate, in millionths
}

// SetFailRate sets the share of tasks (0..1) that fail on purpose.
func (h *ImageHandler) SetFailRate(r float64) { h.failRate.Store(uint64(r * 1e6)) }

// Handle is a Handler.
func (h *ImageHandler) Handle(ctx context.Context, t queue.Claimed) ([]byte, error) {
	job, spec, err := DecodeJob(t.Payload)
	if err != nil {
		return nil, err
	}
	label := job.Name
	if label == "" {
		label = job.ImagePath
	}
	in, recycle, err := h.input(ctx, t, job)
	if err != nil {
		return nil, err
	}
	if recycle {
		// Process keeps nothing of in once it returns (its output is new
		// bytes), so the next task reads its file into the same memory.
		defer putInputBuf(in)
	}
	if r := float64(h.failRate.Load()) / 1e6; r > 0 && rand.Float64() < r {
		return nil, ErrInjected
	}
	opts := pipeline.Options{Limits: h.Limits, Cores: h.Cores, Quality: outputQuality(job)}
	name := ""
	if job.OutputPath != "" {
		name = pipeline.LocalOutputPath(h.Output.Name(), job.OutputPath)
		opts.Format = pipeline.FormatForName(name)
	}
	out, res, err := pipeline.Process(ctx, in, spec, opts)
	if err != nil {
		if errors.Is(err, pipeline.ErrBadInput) || errors.Is(err, pipeline.ErrBadSpec) {
			return nil, queue.Permanent(fmt.Errorf("%s: %w", label, err))
		}
		return nil, fmt.Errorf("process %s: %w", label, err)
	}
	if name == "" {
		name = pipeline.OutputName(t.ID, label, res.OutFormat)
	}
	path, err := pipeline.WriteOutput(h.Output, name, out)
	if err != nil {
		if errors.Is(err, pipeline.ErrUnsafePath) {
			return nil, queue.Permanent(err)
		}
		return nil, err
	}
	return json.Marshal(Result{Output: path, Width: res.Width, Height: res.Height, Bytes: res.Bytes, MS: res.Duration.Milliseconds()})
}

// CourseQuality is the JPEG quality of a course-made task's output: the
// course's worker saves with Pillow's default, `img.save(output_path)`,
// which is quality 75. imgq's own tasks get pipeline.DefaultQuality (90).
const CourseQuality = 75

// outputQuality is the JPEG quality a task's output is saved at: a
// course-made task (Job.CourseMade) gets the course's save, so its output is
// the file the course's worker would write (the same size, 46.6–49.4 dB from
// Pillow's own; BENCHMARKS.md §9).
func outputQuality(job Job) int {
	if job.CourseMade() {
		return CourseQuality
	}
	return 0 // pipeline.DefaultQuality
}

// input returns the task's image: the bytes that travel with it, or the file
// its image_path names inside the worker's input folder (the course's tasks),
// read into a recycled buffer (recycle: give it back with putInputBuf).
func (h *ImageHandler) input(ctx context.Context, t queue.Claimed, job Job) (_ []byte, recycle bool, _ error) {
	if t.HasBlob {
		b, err := h.Queue.Blob(ctx, t.ID)
		if errors.Is(err, queue.ErrNotFound) {
			return nil, false, queue.Permanent(fmt.Errorf("input of %s is missing from Redis", t.ID))
		}
		return b, false, err
	}
	if job.ImagePath == "" {
		return nil, false, queue.Permanent(fmt.Errorf("task %s has no input: no image bytes and no image_path in its data", t.ID))
	}
	if h.Input == nil {
		return nil, false, queue.Permanent(fmt.Errorf("task %s reads %q from a shared folder, and this worker has none (--input)", t.ID, job.ImagePath))
	}
	rel, err := pipeline.LocalInputPath(h.Input.Name(), job.ImagePath)
	if err != nil {
		return nil, false, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
	}
	fi, err := h.Input.Stat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isEscape(err) {
			return nil, false, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
		}
		return nil, false, fmt.Errorf("image_path %q: %w", job.ImagePath, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, notRegular(fmt.Sprintf("image_path %q", job.ImagePath), fi.Mode())
	}
	lim := h.Limits
	if lim.MaxBytes <= 0 {
		lim = pipeline.DefaultLimits()
	}
	b, err := readInputInto(getInputBuf(), func(flag int) (*os.File, error) { return h.Input.OpenFile(rel, flag, 0) },
		fmt.Sprintf("image_path %q", job.ImagePath), lim.MaxBytes)
	if err != nil {
		if isEscape(err) || errors.Is(err, fs.ErrNotExist) {
			return nil, false, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
		}
		return nil, false, err
	}
	return b, true, nil
}

// inputBufs recycles the buffers input files are read into: a fresh one per
// photo was a large allocation (100 KB for a 640×480 JPEG, ~0.5 MB at 1080p)
// zeroed and then collected, which at GOMAXPROCS=1 is CPU the photo pays.
var inputBufs sync.Pool // *[]byte

// maxRecycledInput bounds what inputBufs keeps, so one huge input (up to
// Limits.MaxBytes) is not held on to between tasks.
const maxRecycledInput = 8 << 20

func getInputBuf() []byte {
	if p, ok := inputBufs.Get().(*[]byte); ok {
		return *p
	}
	return nil
}

func putInputBuf(b []byte) {
	if cap(b) > maxRecycledInput {
		return
	}
	b = b[:0]
	inputBufs.Put(&b)
}

func isEscape(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent"
}
