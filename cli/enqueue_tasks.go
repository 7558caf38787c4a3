package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// tasks builds one task per file, or --count generated samples with no files.
func (ef *enqueueFlags) tasks(spec pipeline.Spec, files []string, w, h int) ([]queue.NewTask, error) {
	var tasks []queue.NewTask
	for _, f := range files {
		t, err := workers.FileTask(spec, f, ef.inputDir, ef.shared, pipeline.Limits{})
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	if len(files) > 0 {
		if ef.name != "" && len(tasks) == 1 {
			tasks[0].Name = ef.name
		}
		return tasks, nil
	}
	seed := time.Now().UnixNano()
	for i := 0; i < ef.count; i++ {
		label := ef.name
		if label != "" && ef.count > 1 {
			label = fmt.Sprintf("%s-%d", ef.name, i+1)
		}
		t, err := workers.SampleTask(spec, w, h, seed+int64(i), label)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// fileTaskID is the idempotency key of a file task: a hash of the queue, the
// file's absolute path, size and modification time, the filters and the mode
// (bytes or --shared path). Changing the file or the filters makes a new task.
func fileTaskID(queueName, path, filters string, shared bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", path, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "imgq-file-task\x00%s\x00%s\x00%d\x00%d\x00%s\x00%t", queueName, abs, st.Size(), st.ModTime().UnixNano(), filters, shared)
	return "task-" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > 10000 || h > 10000 {
		return 0, 0, fmt.Errorf("size %q: want WxH with each side 1..10000, e.g. 640x480", s)
	}
	return w, h, nil
}
