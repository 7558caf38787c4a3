// Package workers runs queue workers: in the dashboard's process (Pool) or as a
// separate process on any machine that reaches the same Redis (`imgq worker`).
package workers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// Job is an image task's "data" field: the course's JSON object (name,
// image_path, output_path), readable with `redis-cli HGET task:<id> data`, plus
// imgq's filters. The course's Python worker reads the same object, so either
// kind of worker can run either kind of task.
type Job struct {
	Name string `json:"name"` // shown everywhere, and used to name the output
	// ImagePath is where the input is on the producer's machine: absolute for
	// `imgq enqueue FILE` (its bytes also travel with the task, for workers on
	// other machines), or relative to the worker's input folder (the course's
	// "images/cat.jpg", resolved like the Python worker does, against its cwd).
	ImagePath string `json:"image_path,omitempty"`
	// OutputPath is where the course's worker writes the result ("output/x.jpg");
	// an imgq worker writes it inside its --output folder, never outside.
	OutputPath string `json:"output_path,omitempty"`
	Filters    string `json:"filters,omitempty"` // imgq's; empty: the course's pipeline
}

// CourseFilters is the course's pipeline: what a task without filters gets.
const CourseFilters = "brightness:1.8,blur:2,grayscale"

// CourseMade reports a task the course's producer wrote: it names no filters
// (imgq's enqueue always does), so it gets the course's whole processing, its
// filter chain and its save.
func (j Job) CourseMade() bool { return strings.TrimSpace(j.Filters) == "" }

// DecodeJob parses a task's data; garbage written into Redis by hand is a
// permanent error (retrying cannot fix it).
func DecodeJob(data []byte) (Job, pipeline.Spec, error) {
	var j Job
	if err := json.Unmarshal(data, &j); err != nil {
		return j, nil, queue.Permanent(fmt.Errorf("malformed task data (want a JSON object with name, image_path, output_path): %w", err))
	}
	filters := j.Filters
	if j.CourseMade() {
		filters = CourseFilters
	}
	spec, err := pipeline.Parse(filters)
	if err != nil {
		return j, nil, queue.Permanent(err)
	}
	return j, spec, nil
}

// SampleTask builds a task whose input is a generated picture of w×h, so enqueue
// works on a machine with no pictures. seed varies the picture. Its bytes travel
// in Redis only, so only imgq workers can run it.
func SampleTask(spec pipeline.Spec, w, h int, seed int64, name string) (queue.NewTask, error) {
	data, err := pipeline.SampleJPEG(w, h, seed, 90)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("sample %dx%d: %w", w, h, err)
	}
	if name == "" {
		name = fmt.Sprintf("sample-%d.jpg", seed)
	}
	return newTask(spec, name, "", pipeline.FormatJPEG, data)
}

// FileTask builds a task from an image file. Its data names the file's absolute
// path and an output path, so a course worker on the same machine can run it,
// and with shared=false its bytes travel with the task, so an imgq worker on any
// machine can too. With shared=true only the path relative to inputDir travels,
// for workers that share a filesystem (and read it from their --input folder).
func FileTask(spec pipeline.Spec, path, inputDir string, shared bool, lim pipeline.Limits) (queue.NewTask, error) {
	if shared {
		rel, err := filepath.Rel(inputDir, path)
		if err != nil || !filepath.IsLocal(rel) {
			return queue.NewTask{}, fmt.Errorf("%s is not inside the input folder %s", path, inputDir)
		}
		return newTask(spec, filepath.Base(path), filepath.ToSlash(rel), formatOf(path), nil)
	}
	// Stat first so a FIFO or a device is refused without opening it;
	// readInput checks the opened file again and reads through a hard limit.
	fi, err := os.Stat(path)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return queue.NewTask{}, notRegular(path, fi.Mode())
	}
	max := lim.MaxBytes
	if max <= 0 {
		max = pipeline.DefaultMaxBytes
	}
	data, err := readInput(func(flag int) (*os.File, error) { return os.OpenFile(path, flag, 0) }, path, max)
	if err != nil {
		return queue.NewTask{}, err // names path
	}
	// Refuse what no worker could process now, not after a trip through Redis.
	info, err := pipeline.Inspect(data, lim)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("read %s: %w", path, err)
	}
	out := pipeline.FormatJPEG
	if info.Format == pipeline.FormatPNG {
		out = pipeline.FormatPNG
	}
	return newTask(spec, filepath.Base(path), abs, out, data)
}

func formatOf(path string) pipeline.Format {
	if strings.EqualFold(filepath.Ext(path), ".png") {
		return pipeline.FormatPNG
	}
	return pipeline.FormatJPEG
}

func newTask(spec pipeline.Spec, name, imagePath string, out pipeline.Format, blob []byte) (queue.NewTask, error) {
	id := queue.NewID()
	data, err := json.Marshal(Job{
		Name:       name,
		ImagePath:  imagePath,
		OutputPath: "output/" + pipeline.OutputName(id, name, out),
		Filters:    spec.String(),
	})
	if err != nil {
		return queue.NewTask{}, err
	}
	return queue.NewTask{ID: id, Name: name, Payload: data, Blob: blob}, nil
}

// Result is what an image task stores in its hash's "result" field.
type Result struct {
	Output string `json:"output"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
	MS     int64  `json:"ms"`
}

// WithID gives a task built here another id (an idempotency key chosen by the
// caller), renaming the output_path its data names after the id to match.
func WithID(t queue.NewTask, id string) (queue.NewTask, error) {
	var j Job
	if err := json.Unmarshal(t.Payload, &j); err != nil {
		return t, fmt.Errorf("task %s: %w", t.ID, err)
	}
	if j.OutputPath == "output/"+pipeline.OutputName(t.ID, j.Name, pipeline.FormatForName(j.OutputPath)) {
		j.OutputPath = "output/" + pipeline.OutputName(id, j.Name, pipeline.FormatForName(j.OutputPath))
	}
	data, err := json.Marshal(j)
	if err != nil {
		return t, fmt.Errorf("task %s: %w", id, err)
	}
	t.ID, t.Payload = id, data
	return t, nil
}
