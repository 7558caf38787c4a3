package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// sampleTasks draws --count generated samples.
func (ef *enqueueFlags) sampleTasks(spec pipeline.Spec, w, h int) ([]queue.NewTask, error) {
	var tasks []queue.NewTask
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
// file's absolute path, size and modification time (fi, from os.Stat), the
// filters and the mode (bytes or --shared path). Changing the file or the
// filters makes a new task; the same command run again makes the same ids.
func fileTaskID(queueName, abs string, fi fs.FileInfo, filters string, shared bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "imgq-file-task\x00%s\x00%s\x00%d\x00%d\x00%s\x00%t", queueName, abs, fi.Size(), fi.ModTime().UnixNano(), filters, shared)
	return "task-" + hex.EncodeToString(h.Sum(nil)[:8])
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
