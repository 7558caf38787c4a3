package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// fileTasker turns one file into its task: what the enqueue pipeline's
// workers run, each on its own file (it is read-only once made).
type fileTasker struct {
	queueName string
	spec      pipeline.Spec
	filters   string // spec.String(), once
	shared    bool
	inputDir  string
	again     bool // random ids instead of the file's idempotency key
	maxBytes  int64
	prio      queue.Priority
	timeout   time.Duration
	shardKey  string // NewTask.ShardKey
	name      string // --name, for a single file
}

// enqItem is one file on its way through the pipeline, in the order given.
type enqItem struct {
	idx      int
	path     string
	fi       fs.FileInfo // from the dispatcher's Stat
	reserved int64       // bytes of the budget it holds until Redis has it
	size     int64       // bytes read (the task's blob, dropped once sent)
	task     queue.NewTask
	err      error // not enqueued: the reason, naming the file
	read     time.Duration
	inspect  time.Duration
}

// stat is the dispatcher's part: cheap, in order, and what the byte budget is
// reserved from before the bytes are read.
func (ft *fileTasker) stat(it *enqItem) {
	fi, err := os.Stat(it.path)
	if err != nil {
		it.err = err // *PathError: "stat photos/x.jpg: no such file or directory"
		return
	}
	it.fi = fi
}

// reservation is how much of the budget the item's bytes will take: its
// size, 0 for what is not read (--shared, not a regular file: refused when
// read), and at most maxBytes (a bigger file is refused when read).
func (ft *fileTasker) reservation(it *enqItem) int64 {
	if ft.shared || it.err != nil || !it.fi.Mode().IsRegular() {
		return 0
	}
	return min(it.fi.Size(), ft.maxBytes)
}

// build reads, inspects and makes the task of an item the dispatcher stat'ed,
// timing the read and the rest (inspect, id hash, payload) apart.
func (ft *fileTasker) build(it *enqItem) {
	if it.err != nil {
		return
	}
	start := time.Now()
	var data []byte
	if !ft.shared {
		// Regular files only (a FIFO cannot hold the open), through a hard limit.
		data, it.err = workers.ReadFile(it.path, ft.maxBytes)
	}
	read := time.Now()
	it.read, it.size = read.Sub(start), int64(len(data))
	if it.err == nil {
		it.task, it.err = ft.task(it.path, it.fi, data)
	}
	it.inspect = time.Since(read)
}

func (ft *fileTasker) task(path string, fi fs.FileInfo, data []byte) (queue.NewTask, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return queue.NewTask{}, fmt.Errorf("%s: %w", path, err)
	}
	id := queue.NewID()
	if !ft.again {
		// One id per (queue, file, filters): the same command run again (after
		// a partial failure, a lost reply) leaves the tasks already there as
		// they are instead of queueing them twice.
		id = fileTaskID(ft.queueName, abs, fi, ft.filters, ft.shared)
	}
	var t queue.NewTask
	if ft.shared {
		if t, err = workers.FileTask(ft.spec, path, ft.inputDir, true, pipeline.Limits{}); err == nil {
			t, err = workers.WithID(t, id)
		}
		if err != nil {
			return t, err
		}
	} else {
		// workers.FileTask's task, from bytes already read: refuse what no
		// worker could process now, not after a trip through Redis.
		info, err := pipeline.Inspect(data, pipeline.Limits{MaxBytes: ft.maxBytes})
		if err != nil {
			return queue.NewTask{}, fmt.Errorf("%s: %w", path, err)
		}
		out := pipeline.FormatJPEG
		if info.Format == pipeline.FormatPNG {
			out = pipeline.FormatPNG
		}
		name := filepath.Base(path)
		payload, err := json.Marshal(workers.Job{Name: name, ImagePath: abs,
			OutputPath: "output/" + pipeline.OutputName(id, name, out), Filters: ft.filters})
		if err != nil {
			return queue.NewTask{}, fmt.Errorf("%s: %w", path, err)
		}
		t = queue.NewTask{ID: id, Name: name, Payload: payload, Blob: data}
	}
	if ft.name != "" {
		t.Name = ft.name
	}
	t.Priority, t.Timeout, t.ShardKey = ft.prio, ft.timeout, ft.shardKey
	return t, nil
}
