package bench

// One timed run of one side of `imgq bench course`: start the worker
// processes, wait until they are up, enqueue the photos the course's way, wait
// for the last completion and read the outcome back from Redis.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

// courseQueue is the lesson's queue name; the server is private, so the bench
// flushes it between runs.
const courseQueue = "image_processing"

// courseProc is one worker process of a run.
type courseProc struct {
	id     string
	cmd    *exec.Cmd
	out    *lineWriter
	ready  chan struct{} // closed when the worker says it is up (course) or registered (imgq)
	exited chan struct{} // closed when the process ended; err is then set
	err    error
	cpu0   time.Duration
}

// run times one side on files with procs worker processes.
func (b *courseBench) run(ctx context.Context, side string, procs int, files []string) (CourseRun, error) {
	res := CourseRun{Side: side, Procs: procs, Tasks: len(files), PerWorker: map[string]int{}}
	if err := b.rdb.FlushDB(ctx).Err(); err != nil {
		return res, fmt.Errorf("flush: %w", err)
	}
	b.runs++
	runDir := filepath.Join(b.dir, fmt.Sprintf("run-%03d-%s", b.runs, side))
	if err := os.MkdirAll(filepath.Join(runDir, "output"), 0o755); err != nil {
		return res, err
	}
	defer os.RemoveAll(runDir) // outputs are not compared here (bench images checks the pipeline's)
	spawned := time.Now()
	ps, err := b.startWorkers(ctx, side, procs, runDir)
	defer stopCourseProcs(ps)
	if err != nil {
		return res, err
	}
	if err := b.waitUp(ctx, side, ps); err != nil {
		return res, err
	}
	res.StartupMS = MS(time.Since(spawned))
	for _, p := range ps {
		p.cpu0, _ = ProcCPU(p.cmd.Process.Pid) // unsupported systems report 0 CPU
	}
	ids, t0, err := b.enqueue(ctx, files)
	if err != nil {
		return res, err
	}
	if err := b.waitFinished(ctx, len(ids), ps); err != nil {
		return res, err
	}
	var cpu time.Duration
	for _, p := range ps {
		if c, err := ProcCPU(p.cmd.Process.Pid); err == nil {
			cpu += c - p.cpu0
		}
	}
	last, err := b.collect(ctx, ids, &res)
	if err != nil {
		return res, err
	}
	res.Seconds = round3(last.Sub(t0).Seconds())
	if s := last.Sub(t0).Seconds(); s > 0 {
		res.ImagesPerSec = round3(float64(len(ids)) / s)
	}
	res.CPUMSPerImage = round3(float64(cpu.Microseconds()) / 1000 / float64(len(ids)))
	return res, nil
}

// startWorkers starts procs workers of one side in runDir; it returns those it
// started even on an error, for the caller to stop.
func (b *courseBench) startWorkers(ctx context.Context, side string, procs int, runDir string) ([]*courseProc, error) {
	var ps []*courseProc
	for k := 1; k <= procs; k++ {
		p := &courseProc{ready: make(chan struct{}), exited: make(chan struct{})}
		var readyOnce sync.Once
		markReady := func() { readyOnce.Do(func() { close(p.ready) }) }
		switch side {
		case SideCourse:
			p.id = fmt.Sprintf("py-%d", k)
			args := []string{filepath.Join(b.scripts, "worker.py"), "--host", "127.0.0.1", "--port", strconv.Itoa(b.port), "--worker-id", p.id}
			if b.customFilters() {
				args = append(args, "--task-filters")
			}
			p.cmd = exec.CommandContext(ctx, b.o.Python, args...)
			// "<id>: up on ..." is printed once connected, right before the first BRPOP.
			p.out = newLineWriter(func(line string) {
				if strings.HasPrefix(line, p.id+": up on ") {
					markReady()
				}
			})
		default:
			p.id = fmt.Sprintf("imgq-%d", k)
			p.cmd = childWorker(ctx, b.o.Exe, b.url, "--queue", courseQueue, "--id", p.id, "--concurrency", "1",
				"--output", "output", "--input", b.dir)
			if b.o.GOMAXPROCS > 0 {
				p.cmd.Env = append(p.cmd.Env, "GOMAXPROCS="+strconv.Itoa(b.o.GOMAXPROCS))
			}
			p.out = newLineWriter(nil) // up = registered in Redis (waitUp)
		}
		p.cmd.Dir = runDir
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := proc.StartGraceful(p.cmd); err != nil {
			return ps, fmt.Errorf("start %s: %w", p.id, err)
		}
		ps = append(ps, p)
		go func() {
			p.err = p.cmd.Wait()
			close(p.exited)
		}()
	}
	return ps, nil
}

// customFilters is a --filters other than the lesson's chain: the course
// worker then applies the task's own (worker.py --task-filters).
func (b *courseBench) customFilters() bool {
	return b.o.Filters != "" && b.o.Filters != workers.CourseFilters
}

// waitUp waits until every worker is up: a course worker says so once
// connected; an imgq worker is up once registered in Redis.
func (b *courseBench) waitUp(ctx context.Context, side string, ps []*courseProc) error {
	deadline := time.After(60 * time.Second)
	var q *queue.Queue
	if side == SideImgq {
		var err error
		if q, err = queue.New(b.rdb, queue.Options{Name: courseQueue}); err != nil {
			return err
		}
	}
	for _, p := range ps {
		for up := false; !up; {
			if q != nil {
				s, err := q.Stats(ctx)
				if err != nil {
					return fmt.Errorf("stats: %w", err)
				}
				for _, w := range s.Workers {
					if w.ID == p.id && w.State != queue.WorkerGone && w.State != queue.WorkerStop {
						up = true
					}
				}
				if up {
					break
				}
			}
			select {
			case <-p.ready:
				up = true
			case <-p.exited:
				return fmt.Errorf("%s: %w while starting (%v): %s", p.id, errWorkerExited, p.err, p.out.Tail())
			case <-deadline:
				return fmt.Errorf("%s not up within 60s: %s", p.id, p.out.Tail())
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	return nil
}

// enqueue adds one task per file as the course's producer does (HSET
// task:<id> id, data, status, created_at; RPUSH <queue>:pending id), all in one
// pipeline, and returns the ids and the time just before the first.
func (b *courseBench) enqueue(ctx context.Context, files []string) ([]string, time.Time, error) {
	ids := make([]string, len(files))
	pipe := b.rdb.Pipeline()
	now := strconv.FormatFloat(float64(time.Now().UnixMicro())/1e6, 'f', 6, 64)
	for i, f := range files {
		var rnd [4]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, time.Time{}, err
		}
		ids[i] = "task-" + hex.EncodeToString(rnd[:])
		name := filepath.Base(f)
		d := map[string]string{"name": name, "image_path": f, "output_path": "output/" + name}
		if b.customFilters() {
			d["filters"] = b.o.Filters
		}
		data, err := json.Marshal(d)
		if err != nil {
			return nil, time.Time{}, err
		}
		pipe.HSet(ctx, "task:"+ids[i], "id", ids[i], "data", string(data), "status", "pending", "created_at", now)
		pipe.RPush(ctx, courseQueue+":pending", ids[i])
	}
	t0 := time.Now()
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, t0, fmt.Errorf("enqueue: %w", err)
	}
	return ids, t0, nil
}

// waitFinished polls the lengths of completed and failed (two LLENs every
// 2 ms, the same load on either side) until n tasks finished.
func (b *courseBench) waitFinished(ctx context.Context, n int, ps []*courseProc) error {
	deadline := time.Now().Add(30 * time.Minute)
	var seen int64
	for {
		pipe := b.rdb.Pipeline()
		c := pipe.LLen(ctx, courseQueue+":completed")
		f := pipe.LLen(ctx, courseQueue+":failed")
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("wait: %w", err)
		}
		got := c.Val() + f.Val()
		if d := min(got, int64(n)) - seen; d > 0 {
			seen += d
			b.done += d
			b.bar.Set(b.done)
		}
		if got >= int64(n) {
			return nil
		}
		for _, p := range ps {
			select {
			case <-p.exited:
				return fmt.Errorf("%s: %w (%v) with %d of %d done: %s", p.id, errWorkerExited, p.err, got, n, p.out.Tail())
			default:
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tasks finished within 30 minutes", got, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// collect reads completed, failed and each task's completed_at and worker_id,
// fills res's counts and returns the last completed_at.
func (b *courseBench) collect(ctx context.Context, ids []string, res *CourseRun) (time.Time, error) {
	done, err := b.rdb.LRange(ctx, courseQueue+":completed", 0, -1).Result()
	if err != nil {
		return time.Time{}, err
	}
	failed, err := b.rdb.LRange(ctx, courseQueue+":failed", 0, -1).Result()
	if err != nil {
		return time.Time{}, err
	}
	seen := map[string]int{}
	for _, id := range done {
		seen[id]++
	}
	res.Completed = len(seen)
	for _, id := range failed {
		if seen[id] == 0 {
			res.Failed++
		}
		seen[id]++
	}
	res.Duplicates = len(done) + len(failed) - len(seen)
	// The course worker LPUSHes the id on completed before it HSETs the
	// record's status and completed_at: wait until every record says so too.
	var cmds []*redis.SliceCmd
	for deadline := time.Now().Add(30 * time.Second); ; {
		pipe := b.rdb.Pipeline()
		cmds = make([]*redis.SliceCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HMGet(ctx, "task:"+id, "completed_at", "worker_id", "status", "error")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return time.Time{}, fmt.Errorf("read tasks: %w", err)
		}
		settled := true
		for _, c := range cmds {
			if st := str(c.Val()[2]); str(c.Val()[0]) == "" || (st != "completed" && st != "failed") {
				settled = false
			}
		}
		if settled || time.Now().After(deadline) {
			break
		}
		if err := sleepCtx(ctx, 2*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
	var last float64
	var firstErr string
	for i, c := range cmds {
		v := c.Val()
		at, _ := strconv.ParseFloat(str(v[0]), 64)
		last = max(last, at)
		if str(v[2]) == "completed" {
			res.PerWorker[str(v[1])]++
		} else if firstErr == "" {
			firstErr = fmt.Sprintf("task:%s status %q error %q", ids[i], str(v[2]), str(v[3]))
		}
	}
	if res.Failed > 0 && firstErr != "" {
		return time.Time{}, fmt.Errorf("%d of %d tasks failed, first: %s", res.Failed, len(ids), firstErr)
	}
	sec, frac := int64(last), last-float64(int64(last))
	return time.Unix(sec, int64(frac*1e9)), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// stopCourseProcs asks every worker to stop (SIGTERM: a course worker dies at
// once, an imgq worker stops gracefully) and waits; one still there after 20s
// is killed.
func stopCourseProcs(ps []*courseProc) {
	for _, p := range ps {
		_ = proc.Terminate(p.cmd)
	}
	timeout := time.After(20 * time.Second)
	for _, p := range ps {
		select {
		case <-p.exited:
		case <-timeout:
			_ = proc.KillGroup(p.cmd)
			<-p.exited
		}
	}
}

// lineWriter keeps a process's last lines (for errors) and hands each line to
// onLine. exec.Cmd's copying goroutine writes to it; Tail may run alongside.
type lineWriter struct {
	mu     sync.Mutex
	part   []byte
	tail   []string
	onLine func(string)
}

func newLineWriter(onLine func(string)) *lineWriter { return &lineWriter{onLine: onLine} }

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, b...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		w.tail = append(w.tail, line)
		if len(w.tail) > 12 {
			w.tail = w.tail[1:]
		}
		if w.onLine != nil {
			w.onLine(line)
		}
	}
	return len(b), nil
}

// Tail is the process's last lines.
func (w *lineWriter) Tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(append(w.tail, string(w.part)), "\n")
}
