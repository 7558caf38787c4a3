package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
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
	in, err := h.input(ctx, t, job)
	if err != nil {
		return nil, err
	}
	if r := float64(h.failRate.Load()) / 1e6; r > 0 && rand.Float64() < r {
		return nil, ErrInjected
	}
	opts := pipeline.Options{Limits: h.Limits, Cores: h.Cores}
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

// input returns the task's image: the bytes that travel with it, or the file
// its image_path names inside the worker's input folder (the course's tasks).
func (h *ImageHandler) input(ctx context.Context, t queue.Claimed, job Job) ([]byte, error) {
	if t.HasBlob {
		b, err := h.Queue.Blob(ctx, t.ID)
		if errors.Is(err, queue.ErrNotFound) {
			return nil, queue.Permanent(fmt.Errorf("input of %s is missing from Redis", t.ID))
		}
		return b, err
	}
	if job.ImagePath == "" {
		return nil, queue.Permanent(fmt.Errorf("task %s has no input: no image bytes and no image_path in its data", t.ID))
	}
	if h.Input == nil {
		return nil, queue.Permanent(fmt.Errorf("task %s reads %q from a shared folder, and this worker has none (--input)", t.ID, job.ImagePath))
	}
	rel, err := pipeline.LocalInputPath(h.Input.Name(), job.ImagePath)
	if err != nil {
		return nil, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
	}
	fi, err := h.Input.Stat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isEscape(err) {
			return nil, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
		}
		return nil, fmt.Errorf("image_path %q: %w", job.ImagePath, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(fmt.Sprintf("image_path %q", job.ImagePath), fi.Mode())
	}
	lim := h.Limits
	if lim.MaxBytes <= 0 {
		lim = pipeline.DefaultLimits()
	}
	b, err := readInput(func(flag int) (*os.File, error) { return h.Input.OpenFile(rel, flag, 0) },
		fmt.Sprintf("image_path %q", job.ImagePath), lim.MaxBytes)
	if err != nil {
		if isEscape(err) || errors.Is(err, fs.ErrNotExist) {
			return nil, queue.Permanent(fmt.Errorf("image_path %q: %w", job.ImagePath, err))
		}
		return nil, err
	}
	return b, nil
}

func isEscape(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent"
}
