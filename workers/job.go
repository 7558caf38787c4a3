// Package workers runs queue workers: in the dashboard's process (Pool) or as a
// separate process on any machine that reaches the same Redis (`imgq worker`).
package workers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// Job is the payload of an image task, stored as JSON in the task hash's
// "payload" field (readable with `redis-cli HGET image_processing:task:<id> payload`).
type Job struct {
	Filters string `json:"filters"`          // canonical spec, e.g. "brightness:1.8,blur:2,grayscale"
	Input   string `json:"input"`            // the input's file name (shown, and used to name the output)
	Shared  bool   `json:"shared,omitempty"` // read Input from the worker's input folder instead of the blob
}

// CourseFilters is the course's pipeline.
const CourseFilters = "brightness:1.8,blur:2,grayscale"

// DecodeJob parses a payload; garbage written into Redis by hand is a
// permanent error (retrying cannot fix it).
func DecodeJob(payload []byte) (Job, pipeline.Spec, error) {
	var j Job
	if err := json.Unmarshal(payload, &j); err != nil {
		return j, nil, queue.Permanent(fmt.Errorf("malformed task payload: %w", err))
	}
	spec, err := pipeline.Parse(j.Filters)
	if err != nil {
		return j, nil, queue.Permanent(err)
	}
	return j, spec, nil
}

// SampleTask builds a task whose input is a generated picture of w×h, so enqueue
// works on a machine with no pictures. seed varies the picture.
func SampleTask(spec pipeline.Spec, w, h int, seed int64, name string) (queue.NewTask, error) {
	data, err := pipeline.SampleJPEG(w, h, seed, 90)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("sample %dx%d: %w", w, h, err)
	}
	if name == "" {
		name = fmt.Sprintf("sample-%d.jpg", seed)
	}
	return newTask(spec, name, data, false)
}

// FileTask builds a task from an image file. With shared=false its bytes travel
// with the task (any machine can process it); with shared=true only the path
// relative to inputDir travels, for workers that share a filesystem.
func FileTask(spec pipeline.Spec, path, inputDir string, shared bool, lim pipeline.Limits) (queue.NewTask, error) {
	if shared {
		rel, err := filepath.Rel(inputDir, path)
		if err != nil || !filepath.IsLocal(rel) {
			return queue.NewTask{}, fmt.Errorf("%s is not inside the input folder %s", path, inputDir)
		}
		return newTask(spec, filepath.ToSlash(rel), nil, true)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("read %s: %w", path, err)
	}
	if fi.IsDir() {
		return queue.NewTask{}, fmt.Errorf("read %s: is a directory", path)
	}
	if max := lim.MaxBytes; max > 0 && fi.Size() > max {
		return queue.NewTask{}, fmt.Errorf("read %s: %d bytes is over the %d byte limit", path, fi.Size(), max)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("read %s: %w", path, err)
	}
	// Refuse what no worker could process now, not after a trip through Redis.
	if _, err := pipeline.Inspect(data, lim); err != nil {
		return queue.NewTask{}, fmt.Errorf("%s: %w", path, err)
	}
	return newTask(spec, filepath.Base(path), data, false)
}

func newTask(spec pipeline.Spec, input string, blob []byte, shared bool) (queue.NewTask, error) {
	payload, err := json.Marshal(Job{Filters: spec.String(), Input: input, Shared: shared})
	if err != nil {
		return queue.NewTask{}, err
	}
	return queue.NewTask{ID: queue.NewID(), Name: input, Payload: payload, Blob: blob}, nil
}

// Result is what an image task stores in its hash's "result" field.
type Result struct {
	Output string `json:"output"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
	MS     int64  `json:"ms"`
}
