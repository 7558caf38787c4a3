package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
	"github.com/redis/go-redis/v9"
)

// enqueueReport is what an enqueue did: printed as it goes (each task on
// stdout, each refusal on stderr, in the order given) and summed up at the
// end, or, with --json, one object on stdout.
type enqueueReport struct {
	Queue    string `json:"queue"`
	List     string `json:"list"`
	Priority string `json:"priority"`
	Filters  string `json:"filters"`
	// Files is how many files were named (folders and "-" expanded); 0 for
	// generated samples.
	Files       int      `json:"files"`
	Enqueued    int      `json:"enqueued"`      // in the queue now: new, or already there
	Already     int      `json:"already_there"` // of Enqueued: same file and filters enqueued before
	Failed      int      `json:"failed"`        // not enqueued (bad file, refused by Redis, interrupted)
	Interrupted int      `json:"interrupted"`   // of Failed: never sent because the run was stopped
	Skipped     []string `json:"skipped_entries,omitempty"`
	Bytes       int64    `json:"bytes"` // of the files enqueued
	Seconds     float64  `json:"seconds"`
	FilesPerS   float64  `json:"files_per_s"`
	MBPerS      float64  `json:"mb_per_s"` // 10^6 bytes
	// Stages: the time each stage's goroutines spent, summed over them (so a
	// stage on 2 workers can add up to twice the wall time).
	Stages struct {
		ReadS        float64 `json:"read_s"`         // stat, open, read
		InspectHashS float64 `json:"inspect_hash_s"` // header check, id hash, payload
		RedisS       float64 `json:"redis_s"`        // EnqueueBatchResults round trips
		Workers      int     `json:"workers"`
		Senders      int     `json:"senders"`
		Batches      int64   `json:"batches"`
		// ServerCPUS: the CPU the Redis server used meanwhile (INFO cpu,
		// every client's), 0 when INFO cpu is not available.
		ServerCPUS float64 `json:"redis_server_cpu_s"`
	} `json:"stages"`
	Tasks  []enqueueTaskJSON  `json:"tasks"`
	Errors []enqueueErrorJSON `json:"errors"`

	asJSON   bool
	out      io.Writer
	errs     *termLines
	spec     string
	failed   []string // labels of the files not enqueued (not interrupted)
	firstErr error
	done     atomic.Int64 // items reported, for the progress bar
}

type enqueueTaskJSON struct {
	ID      string `json:"id"`
	File    string `json:"file,omitempty"`
	Name    string `json:"name"`
	Created bool   `json:"created"`
}

type enqueueErrorJSON struct {
	File  string `json:"file,omitempty"`
	Error string `json:"error"`
}

// add reports one item: label is the file as given ("" for a sample).
func (r *enqueueReport) add(label string, t queue.NewTask, size int64, res queue.EnqueueResult, err error) {
	defer r.done.Add(1)
	shown := safetext.Truncate(label, 200)
	if label == "" {
		shown = safetext.Truncate(t.Name, 80)
	}
	if err == nil {
		err = res.Err
	}
	switch {
	case errors.Is(err, errInterrupted):
		r.Failed++
		r.Interrupted++
		return
	case err != nil:
		r.Failed++
		r.failed = append(r.failed, shown)
		if r.firstErr == nil {
			r.firstErr = err
		}
		// The reason without the file's name again when it starts with it.
		r.errs.printf("not enqueued: %s: %s\n", shown, strings.TrimPrefix(safetext.Clean(err.Error()), shown+": "))
		r.Errors = append(r.Errors, enqueueErrorJSON{File: label, Error: err.Error()})
		return
	case !res.Created:
		r.Already++
		r.errs.printf("already enqueued: %s is %s (same file and filters; --again makes a new task)\n", shown, res.ID)
	}
	r.Enqueued++
	r.Bytes += size
	if r.asJSON {
		r.Tasks = append(r.Tasks, enqueueTaskJSON{ID: res.ID, File: label, Name: t.Name, Created: res.Created})
		return
	}
	fmt.Fprintf(r.out, "%s\t%s\t%s\n", res.ID, safetext.Truncate(t.Name, 80), r.spec)
}

// finish prints the summary (and the JSON) and returns an error naming what
// was not enqueued.
func (r *enqueueReport) finish(wall time.Duration, st *enqStages) error {
	r.Seconds = wall.Seconds()
	if st != nil && wall > 0 {
		r.FilesPerS = float64(r.Enqueued) / wall.Seconds()
		r.MBPerS = float64(r.Bytes) / 1e6 / wall.Seconds()
		r.Stages.ReadS = time.Duration(st.read.Load()).Seconds()
		r.Stages.InspectHashS = time.Duration(st.inspect.Load()).Seconds()
		r.Stages.RedisS = time.Duration(st.redis.Load()).Seconds()
		r.Stages.Workers, r.Stages.Senders, r.Stages.Batches = st.workers, st.senders, st.batches.Load()
		r.Stages.ServerCPUS = st.serverCPU.Seconds()
	}
	summary := fmt.Sprintf("enqueued %d task(s) on %s (%s priority)", r.Enqueued, r.List, r.Priority)
	if r.Already > 0 {
		summary += fmt.Sprintf(", %d of them already there", r.Already)
	}
	r.errs.printf("%s\n", summary)
	if st != nil {
		server := ""
		if st.serverCPU > 0 {
			server = fmt.Sprintf(", redis-server CPU %.2f s", r.Stages.ServerCPUS)
		}
		r.errs.printf("%s %s (%s) in %.2f s: %s files/s, %.1f MB/s; read %.2f s, inspect+hash %.2f s (summed over %d workers), redis %.2f s (%d %s, %s %s%s)\n",
			groupDigits(int64(r.Enqueued)), plural(r.Enqueued, "file", "files"), humanSI(r.Bytes), r.Seconds,
			groupDigits(int64(r.FilesPerS+0.5)), r.MBPerS, r.Stages.ReadS, r.Stages.InspectHashS, st.workers,
			r.Stages.RedisS, st.senders, plural(st.senders, "sender", "senders summed"),
			groupDigits(r.Stages.Batches), plural(int(r.Stages.Batches), "batch", "batches"), server)
	}
	if r.asJSON {
		if r.Tasks == nil {
			r.Tasks = []enqueueTaskJSON{}
		}
		if r.Errors == nil {
			r.Errors = []enqueueErrorJSON{}
		}
		enc := json.NewEncoder(r.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	return r.err()
}

func (r *enqueueReport) err() error {
	total := r.Enqueued + r.Failed
	what, hint := "task(s)", "the others were"
	if r.Files > 0 {
		what, hint = "file(s)", "the others were; the same command run again enqueues nothing twice"
	}
	switch {
	case r.Failed == 0:
		return nil
	case len(r.failed) == 0:
		return fmt.Errorf("interrupted: %d of %d %s not enqueued (the same command run again enqueues them, and nothing twice)", r.Interrupted, total, what)
	case r.Failed == total && r.Interrupted == 0:
		return fmt.Errorf("none of the %d %s was enqueued: %w", total, what, r.firstErr)
	}
	names := strings.Join(r.failed, ", ")
	if len(r.failed) > 10 {
		names = fmt.Sprintf("%s and %d more (each named above)", strings.Join(r.failed[:10], ", "), len(r.failed)-10)
	}
	also := ""
	if r.Interrupted > 0 {
		also = fmt.Sprintf(", and %d not sent (interrupted)", r.Interrupted)
	}
	return fmt.Errorf("%d of %d %s not enqueued: %s (%s)%s; first error: %w",
		len(r.failed), total, what, names, hint, also, r.firstErr)
}

// groupDigits writes n with thousands separators: 10,000.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// humanSI gives a byte count in decimal units (MB/s are 10^6 bytes a second).
func humanSI(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// termLines serialises stderr between the report's lines and the progress
// bar, and clears the bar's line before a message when the bar is drawn.
type termLines struct {
	mu  sync.Mutex
	w   io.Writer
	bar bool // a bar is on the current line
}

func (t *termLines) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar {
		fmt.Fprint(t.w, "\r\x1b[K")
	}
	fmt.Fprintf(t.w, format, args...)
}

// serverCPU is the CPU time the Redis server has used (INFO cpu: user + sys),
// false when it cannot tell (INFO refused, a cluster node, a proxy).
func serverCPU(ctx context.Context, c redis.UniversalClient) (time.Duration, bool) {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, false
	}
	var total float64
	found := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, false
			}
			total += f
			found++
		}
	}
	return time.Duration(total * float64(time.Second)), found == 2
}
