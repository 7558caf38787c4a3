package e2e

// Interop between imgq and the course's own Python code (lesson 4's data model,
// issue 10): a course-style producer and worker in e2e/course (redis-py + Pillow)
// share one queue with the real imgq binary on a real redis-server.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
)

// 1. A task the course's producer adds (HSET task:<id> + RPUSH pending) is run by
// imgq worker: relative image_path against its working directory, output inside
// --output, task:<id> completed with completed_at, result:<id> written, id on
// completed; a missing image fails with a clear error in task:<id> and on failed.
func TestCourseProducerImgqWorker(t *testing.T) {
	coursePython(t)
	srv := redistest.Start(t, redistest.Options{})
	c := srv.Client(t)
	dir := t.TempDir()
	for i, n := range []string{"a", "b", "c"} {
		writeJPEG(t, filepath.Join(dir, "images", n+".jpg"), 80, 60, i)
	}
	good := produce(t, srv, dir, "images/a.jpg", "images/b.jpg", "images/c.jpg")
	missing := produce(t, srv, dir, "images/missing.jpg")
	if len(good) != 3 || len(missing) != 1 {
		t.Fatalf("producer printed %v and %v, want 3 and 1 ids", good, missing)
	}

	w := Start(t, srv, dir, "worker", "--output", "out", "--concurrency", "2", "--id", "imgq-1")
	courseWait(t, 30*time.Second, "all 4 tasks to finish", func() (bool, string) {
		l := readLayout(t, c)
		return len(l.Completed)+len(l.Failed) >= 4 && len(l.Processing) == 0, l.String()
	})
	l := readLayout(t, c)
	if len(l.Pending) != 0 || len(l.Processing) != 0 {
		t.Errorf("after the run: %s", l)
	}
	outDir := filepath.Join(dir, "out")
	for _, id := range good {
		if count(l.Completed, id) != 1 || count(l.Failed, id) != 0 {
			t.Errorf("%s: %d times on completed, %d on failed; want 1 and 0", id, count(l.Completed, id), count(l.Failed, id))
		}
		task := hgetall(t, c, "task:"+id)
		if task["status"] != "completed" {
			t.Errorf("task:%s status %q, want completed (%v)", id, task["status"], task)
		}
		if _, ok := unixSeconds(task["completed_at"]); !ok {
			t.Errorf("task:%s completed_at %q is not Unix seconds", id, task["completed_at"])
		}
		if task["id"] != id {
			t.Errorf("task:%s id field %q", id, task["id"])
		}
		res := hgetall(t, c, "result:"+id)
		for _, f := range []string{"task_id", "output_path", "worker_id", "total_time"} {
			if res[f] == "" {
				t.Errorf("result:%s has no %s: %v", id, f, res)
			}
		}
		if res["task_id"] != id {
			t.Errorf("result:%s task_id %q", id, res["task_id"])
		}
		if tt, err := strconv.ParseFloat(res["total_time"], 64); err != nil || tt < 0 || tt > 60 {
			t.Errorf("result:%s total_time %q is not seconds", id, res["total_time"])
		}
		if !strings.Contains(res["worker_id"], "imgq-1") {
			t.Errorf("result:%s worker_id %q, want the imgq worker imgq-1", id, res["worker_id"])
		}
		p, ok := findOutput(dir, outDir, res["output_path"])
		if !ok {
			t.Errorf("result:%s output_path %q: no file at %s", id, res["output_path"], p)
			continue
		}
		if !within(outDir, p) {
			t.Errorf("result:%s output %s is outside the worker's --output %s", id, p, outDir)
		}
		checkImage(t, p)
	}
	id := missing[0]
	task := hgetall(t, c, "task:"+id)
	if task["status"] != "failed" || task["error"] == "" || !strings.Contains(task["error"], "missing.jpg") {
		t.Errorf("task:%s with a missing image: status %q error %q; want failed with an error naming missing.jpg", id, task["status"], task["error"])
	}
	if count(l.Failed, id) != 1 || count(l.Completed, id) != 0 {
		t.Errorf("%s: on failed %d times, on completed %d; want 1 and 0", id, count(l.Failed, id), count(l.Completed, id))
	}
	noWrongType(t, w)
}

// 2. imgq enqueue FILE... writes task:<id> data with the file's absolute image_path
// and an output_path, so an unmodified course worker processes the task.
func TestImgqEnqueueCourseWorker(t *testing.T) {
	coursePython(t)
	srv := redistest.Start(t, redistest.Options{})
	c := srv.Client(t)
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, "a.jpg"), 80, 60, 1)
	writeJPEG(t, filepath.Join(dir, "b.jpg"), 60, 80, 2)
	ids := enqueueIDs(t, srv, dir, "a.jpg", "b.jpg")
	if len(ids) != 2 {
		t.Fatalf("enqueue acknowledged %v, want 2 ids", ids)
	}
	want := map[string]string{ids[0]: "a.jpg", ids[1]: "b.jpg"}
	outputs := map[string]string{}
	for _, id := range ids {
		task := hgetall(t, c, "task:"+id)
		var data map[string]any
		if err := json.Unmarshal([]byte(task["data"]), &data); err != nil {
			t.Fatalf("task:%s data %q is not a JSON object: %v (task %v)", id, task["data"], err, task)
		}
		ip, _ := data["image_path"].(string)
		op, _ := data["output_path"].(string)
		if !filepath.IsAbs(ip) {
			t.Errorf("task:%s data image_path %q is not absolute", id, ip)
		} else if a, b := statOrNil(ip), statOrNil(filepath.Join(dir, want[id])); a == nil || b == nil || !os.SameFile(a, b) {
			t.Errorf("task:%s data image_path %q is not %s", id, ip, filepath.Join(dir, want[id]))
		}
		if op == "" {
			t.Errorf("task:%s data has no output_path: %v", id, data)
		}
		if task["status"] != "pending" {
			t.Errorf("task:%s status %q before any worker, want pending", id, task["status"])
		}
		if _, ok := unixSeconds(task["created_at"]); !ok {
			t.Errorf("task:%s created_at %q is not Unix seconds", id, task["created_at"])
		}
		outputs[id] = op
	}

	// The course worker runs elsewhere on the same machine: its own working directory.
	wdir := t.TempDir()
	py := startPy(t, srv, wdir, "worker.py", "--worker-id", "py-1", "--max-tasks", "2", "--idle-exit", "20")
	if code := py.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("course worker exit %d:\n%s", code, py.Output())
	}
	l := readLayout(t, c)
	for _, id := range ids {
		if count(l.Completed, id) != 1 {
			t.Errorf("%s on completed %d times (layout %s)\ncourse worker:\n%s", id, count(l.Completed, id), l, py.Output())
		}
		task := hgetall(t, c, "task:"+id)
		if task["status"] != "completed" || task["worker_id"] != "py-1" {
			t.Errorf("task:%s status %q worker_id %q, want completed by py-1 (error %q)", id, task["status"], task["worker_id"], task["error"])
		}
		op := outputs[id]
		if op == "" {
			continue
		}
		if !filepath.IsAbs(op) {
			op = filepath.Join(wdir, op)
		}
		checkImage(t, op)
	}
	if len(l.Pending) != 0 || len(l.Processing) != 0 || len(l.Failed) != 0 {
		t.Errorf("after the course worker: %s", l)
	}
}

func statOrNil(p string) os.FileInfo {
	st, err := os.Stat(p)
	if err != nil {
		return nil
	}
	return st
}

// 3. A mixed class: 3 imgq workers and 2 course workers on one queue, 60 tasks from
// both producers, one imgq worker SIGKILLed mid-task and one course worker crashed
// after its claim (recovered with imgq requeue --stuck). Every task ends on
// completed or failed exactly once; nothing stays pending or processing; no
// WRONGTYPE anywhere.
func TestMixedClass(t *testing.T) {
	coursePython(t)
	srv := redistest.Start(t, redistest.Options{})
	c := srv.Client(t)
	dir := t.TempDir()
	var files []string
	for i := 1; i <= 30; i++ {
		writeJPEG(t, filepath.Join(dir, "images", fmt.Sprintf("img_%d.jpg", i)), 48, 32, i)
		f := filepath.Join("uploads", fmt.Sprintf("up_%d.jpg", i))
		writeJPEG(t, filepath.Join(dir, f), 32, 48, 100+i)
		files = append(files, f)
	}
	pyIDs := produce(t, srv, dir, "--count", "30", "--images", "images")
	goIDs := enqueueIDs(t, srv, dir, files...)
	if len(pyIDs) != 30 || len(goIDs) != 30 {
		t.Fatalf("producers acknowledged %d and %d ids, want 30 and 30", len(pyIDs), len(goIDs))
	}
	all := append(append([]string{}, pyIDs...), goIDs...)
	var procs []*Proc

	// The imgq victim holds a task for long, so it is surely mid-task when killed.
	victim := Start(t, srv, dir, "worker", "--id", "imgq-victim", "--lease", "2s", "--delay", "20s", "--output", "out")
	procs = append(procs, victim)
	var victimTask string
	courseWait(t, 20*time.Second, "the victim to claim a task", func() (bool, string) {
		l := readLayout(t, c)
		for id, w := range l.Processing {
			if strings.Contains(w, "imgq-victim") {
				victimTask = id
				return true, ""
			}
		}
		return false, l.String() + "\n" + victim.Output()
	})
	// A course worker claims one task and dies: the task stays in processing.
	crashOut := runPy(t, srv, dir, 1, "worker.py", "--worker-id", "py-crash", "--crash-after-claim")
	m := regexp.MustCompile(`claimed (task-[0-9a-f]+)`).FindStringSubmatch(crashOut)
	if m == nil {
		t.Fatalf("the crashing course worker claimed nothing:\n%s", crashOut)
	}
	stuck := m[1]
	if w := readLayout(t, c).Processing[stuck]; w != "py-crash" {
		t.Fatalf("after the course worker's crash, processing[%s] = %q, want py-crash", stuck, w)
	}

	var others []*Proc
	for _, id := range []string{"imgq-2", "imgq-3"} {
		others = append(others, Start(t, srv, dir, "worker", "--id", id, "--lease", "2s", "--delay", "50ms", "--concurrency", "2", "--output", "out"))
	}
	procs = append(procs, others...)
	for _, id := range []string{"py-1", "py-2"} {
		procs = append(procs, startPy(t, srv, dir, "worker.py", "--worker-id", id, "--idle-exit", "10"))
	}
	time.Sleep(200 * time.Millisecond) // the others are busy: now the victim dies mid-run
	victim.Kill()
	killedAt := time.Now()

	time.Sleep(1200 * time.Millisecond) // py-crash's claim is now older than 1s
	rq := Start(t, srv, dir, "requeue", "--stuck", "--stuck-after", "1s")
	if code := rq.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("imgq requeue --stuck --stuck-after 1s: exit %d\n%s", code, rq.Output())
	}
	procs = append(procs, rq)
	t.Logf("imgq requeue --stuck: %s", strings.TrimSpace(rq.Output()))

	courseWait(t, 40*time.Second, "all 60 tasks finished", func() (bool, string) {
		l := readLayout(t, c)
		return len(l.Completed)+len(l.Failed) >= len(all) && len(l.Pending) == 0 && len(l.Processing) == 0, l.String()
	})
	t.Logf("all finished %s after the victim's SIGKILL", time.Since(killedAt).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond) // anything late (a duplicate) would land now
	l := readLayout(t, c)
	if len(l.Pending) != 0 || len(l.Processing) != 0 {
		t.Errorf("at the end: %s", l)
	}
	known := map[string]bool{}
	for _, id := range all {
		known[id] = true
		nc, nf := count(l.Completed, id), count(l.Failed, id)
		if nc+nf != 1 {
			t.Errorf("%s: on completed %d times, on failed %d times; want exactly once in all", id, nc, nf)
		}
		task := hgetall(t, c, "task:"+id)
		switch {
		case nc == 1 && task["status"] != "completed":
			t.Errorf("task:%s is on completed but its status is %q", id, task["status"])
		case nf == 1:
			t.Errorf("task:%s failed (status %q, worker %q, error %q); every input was a valid JPEG", id, task["status"], task["worker_id"], task["error"])
		}
	}
	for _, id := range append(append([]string{}, l.Completed...), l.Failed...) {
		if !known[id] {
			t.Errorf("unknown id %s on completed/failed", id)
		}
	}
	if st := hgetall(t, c, "task:"+stuck); st["status"] != "completed" || st["worker_id"] == "py-crash" {
		t.Errorf("the task py-crash left (%s): status %q worker_id %q, want completed by another worker", stuck, st["status"], st["worker_id"])
	}
	if st := hgetall(t, c, "task:"+victimTask); st["status"] != "completed" || strings.Contains(st["worker_id"], "imgq-victim") {
		t.Errorf("the task the SIGKILLed imgq worker held (%s): status %q worker_id %q, want completed by another worker", victimTask, st["status"], st["worker_id"])
	}
	// Both kinds of worker did work.
	by := map[string]int{}
	for _, id := range l.Completed {
		w := hgetall(t, c, "result:"+id)["worker_id"]
		switch {
		case strings.HasPrefix(w, "py-"):
			by["python"]++
		case strings.Contains(w, "imgq-"):
			by["imgq"]++
		default:
			by["other:"+w]++
		}
	}
	t.Logf("completed by: %v", by)
	if by["python"] == 0 || by["imgq"] == 0 {
		t.Errorf("want both kinds of worker to complete tasks; completed by %v", by)
	}
	out, code := Run(t, srv, dir, "stats")
	if code != 0 || strings.Contains(out, "WRONGTYPE") {
		t.Errorf("imgq stats after a mixed run: exit %d\n%s", code, out)
	}
	for _, p := range others {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		if code := p.Wait(t, 20*time.Second); code != 0 {
			t.Errorf("imgq %v after SIGTERM: exit %d", p.Cmd.Args, code)
		}
	}
	noWrongType(t, procs...)
}

// redisCLI runs redis-cli -p PORT args... and returns its output; any WRONGTYPE or
// error reply fails the test.
func redisCLI(t *testing.T, cli string, srv *redistest.Server, args ...string) string {
	t.Helper()
	cmd := exec.Command(cli, append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port)}, args...)...)
	out, err := cmd.CombinedOutput()
	s := string(out)
	if err != nil || strings.Contains(s, "WRONGTYPE") || strings.HasPrefix(s, "ERR") || strings.Contains(s, "(error)") {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, s)
	}
	return s
}

func cliLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// cliHash turns HGETALL's raw output (field, value, field, value...) into a map.
func cliHash(t *testing.T, s string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return map[string]string{}
	}
	if len(lines)%2 != 0 {
		t.Fatalf("HGETALL output has an odd number of lines (a multi-line value?):\n%s", s)
	}
	m := map[string]string{}
	for i := 0; i < len(lines); i += 2 {
		m[lines[i]] = lines[i+1]
	}
	return m
}

func sortedCopy(s []string) []string {
	s = append([]string{}, s...)
	sort.Strings(s)
	return s
}

// 4. The course README's redis-cli commands, verbatim, on a queue with tasks in every
// state, answer as the course describes; MONITOR shows an imgq claim as a pop from
// pending and an HSET on processing; the stuck-task fix by hand (HKEYS, HDEL, RPUSH)
// puts a crashed course worker's task back and an imgq worker completes it; FLUSHDB
// empties everything.
func TestCourseRedisCLICommands(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli not found: install Debian's redis-tools (apt-get install redis-tools)")
	}
	coursePython(t)
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	for _, n := range []string{"done", "stuck", "later"} {
		writeJPEG(t, filepath.Join(dir, "images", n+".jpg"), 64, 48, len(n))
	}
	writeJPEG(t, filepath.Join(dir, "mine.jpg"), 48, 64, 9)

	// completed and failed: a course worker runs one good and one missing image.
	first := produce(t, srv, dir, "images/done.jpg", "images/gone.jpg")
	runPy(t, srv, dir, 0, "worker.py", "--worker-id", "py-1", "--max-tasks", "2")
	done, gone := first[0], first[1]
	// processing: a course worker claims one and crashes.
	stuck := produce(t, srv, dir, "images/stuck.jpg")[0]
	runPy(t, srv, dir, 1, "worker.py", "--worker-id", "py-crash", "--crash-after-claim")
	// pending: one from each producer.
	later := produce(t, srv, dir, "images/later.jpg")[0]
	mine := enqueueIDs(t, srv, dir, "mine.jpg")[0]

	keys := cliLines(redisCLI(t, cli, srv, "KEYS", "*"))
	for _, k := range []string{coursePending, courseProcessing, courseCompleted, courseFailed,
		"task:" + done, "task:" + gone, "task:" + stuck, "task:" + later, "task:" + mine, "result:" + done} {
		if count(keys, k) != 1 {
			t.Errorf("KEYS * does not list %s", k)
		}
	}
	if got, want := sortedCopy(cliLines(redisCLI(t, cli, srv, "LRANGE", "image_processing:pending", "0", "-1"))), sortedCopy([]string{later, mine}); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("LRANGE image_processing:pending 0 -1 = %v, want %v", got, want)
	}
	if p := cliHash(t, redisCLI(t, cli, srv, "HGETALL", "image_processing:processing")); len(p) != 1 || p[stuck] != "py-crash" {
		t.Errorf("HGETALL image_processing:processing = %v, want %s -> py-crash", p, stuck)
	}
	if got := cliLines(redisCLI(t, cli, srv, "LRANGE", "image_processing:completed", "0", "-1")); len(got) != 1 || got[0] != done {
		t.Errorf("LRANGE image_processing:completed 0 -1 = %v, want [%s]", got, done)
	}
	task := cliHash(t, redisCLI(t, cli, srv, "HGETALL", "task:"+done))
	if task["status"] != "completed" || task["worker_id"] != "py-1" || !strings.Contains(task["data"], "done.jpg") {
		t.Errorf("HGETALL task:%s = %v", done, task)
	}
	for _, f := range []string{"created_at", "started_at", "completed_at"} {
		if _, ok := unixSeconds(task[f]); !ok {
			t.Errorf("HGETALL task:%s: %s %q is not Unix seconds", done, f, task[f])
		}
	}
	res := cliHash(t, redisCLI(t, cli, srv, "HGETALL", "result:"+done))
	if res["task_id"] != done || res["worker_id"] != "py-1" || res["output_path"] == "" || res["total_time"] == "" {
		t.Errorf("HGETALL result:%s = %v", done, res)
	}
	if tm := cliHash(t, redisCLI(t, cli, srv, "HGETALL", "task:"+mine)); tm["status"] != "pending" || !strings.Contains(tm["data"], "mine.jpg") {
		t.Errorf("HGETALL task:%s (from imgq enqueue) = %v, want status pending and data naming mine.jpg", mine, tm)
	}
	if tg := cliHash(t, redisCLI(t, cli, srv, "HGETALL", "task:"+gone)); tg["status"] != "failed" || tg["error"] == "" {
		t.Errorf("HGETALL task:%s = %v, want failed with an error", gone, tg)
	}

	// MONITOR while an imgq worker claims the two pending tasks.
	mon := &Proc{Cmd: exec.Command(cli, "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port), "MONITOR"), done: make(chan struct{})}
	mon.Cmd.Stdout, mon.Cmd.Stderr = lockedWriter{mon}, lockedWriter{mon}
	must(t, mon.Cmd.Start())
	go func() { mon.status = mon.Cmd.Wait(); close(mon.done) }()
	t.Cleanup(func() { _ = mon.Cmd.Process.Kill(); <-mon.done })
	courseWait(t, 10*time.Second, "MONITOR to answer OK", func() (bool, string) {
		return strings.Contains(mon.Output(), "OK"), mon.Output()
	})
	w := Start(t, srv, dir, "worker", "--id", "imgq-cli", "--output", "out")
	c := srv.Client(t)
	courseWait(t, 20*time.Second, "the imgq worker to finish the two pending tasks", func() (bool, string) {
		l := readLayout(t, c)
		return count(l.Completed, later)+count(l.Failed, later) == 1 && count(l.Completed, mine)+count(l.Failed, mine) == 1, l.String()
	})
	for _, id := range []string{later, mine} {
		if st := hgetall(t, c, "task:"+id); st["status"] != "completed" {
			t.Errorf("imgq worker on task:%s: status %q error %q, want completed", id, st["status"], st["error"])
		}
	}
	time.Sleep(200 * time.Millisecond)
	monOut := mon.Output()
	pop := regexp.MustCompile(`(?i)"(lpop|rpop|blpop|brpop|lmpop|blmpop|lmove|blmove|rpoplpush|brpoplpush)" "image_processing:pending"`)
	hset := regexp.MustCompile(`(?i)"hset" "image_processing:processing" "(` + later + `|` + mine + `)" "[^"]*imgq-cli[^"]*"`)
	if !pop.MatchString(monOut) || !hset.MatchString(monOut) {
		t.Errorf("MONITOR during an imgq claim: pop from image_processing:pending %v, HSET image_processing:processing <id> imgq-cli %v\n%s",
			pop.MatchString(monOut), hset.MatchString(monOut), lastLines(monOut, 60))
	} else {
		t.Logf("MONITOR shows the claim as the course's move:\n%s\n%s", pop.FindString(monOut), hset.FindString(monOut))
	}
	_ = mon.Cmd.Process.Kill()

	// The course's stuck-task routine, by hand.
	if got := cliLines(redisCLI(t, cli, srv, "HKEYS", "image_processing:processing")); len(got) != 1 || got[0] != stuck {
		t.Errorf("HKEYS image_processing:processing = %v, want [%s]", got, stuck)
	}
	if got := strings.TrimSpace(redisCLI(t, cli, srv, "HDEL", "image_processing:processing", stuck)); got != "1" {
		t.Errorf("HDEL image_processing:processing %s = %q, want 1", stuck, got)
	}
	redisCLI(t, cli, srv, "RPUSH", "image_processing:pending", stuck)
	courseWait(t, 20*time.Second, "the imgq worker to finish the hand-requeued task", func() (bool, string) {
		l := readLayout(t, c)
		st := hgetall(t, c, "task:"+stuck)
		return count(l.Completed, stuck)+count(l.Failed, stuck) == 1 && len(l.Processing) == 0, fmt.Sprintf("%s; task:%s %v", l, stuck, st)
	})
	if st := hgetall(t, c, "task:"+stuck); st["status"] != "completed" {
		t.Errorf("hand-requeued task:%s: status %q error %q, want completed", stuck, st["status"], st["error"])
	}
	if wid := hgetall(t, c, "task:"+stuck)["worker_id"]; !strings.Contains(wid, "imgq-cli") {
		t.Errorf("task:%s completed by %q, want imgq-cli", stuck, wid)
	}
	if l := readLayout(t, c); len(l.Pending) != 0 || len(l.Processing) != 0 || count(l.Failed, stuck) != 0 {
		t.Errorf("after the hand-requeued task: %s", l)
	}

	_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	if code := w.Wait(t, 20*time.Second); code != 0 {
		t.Errorf("imgq worker after SIGTERM: exit %d", code)
	}
	// Not mon: MONITOR echoes commands, not replies, and imgq's scripts carry the
	// word WRONGTYPE in their source (the layout check's own error reply).
	noWrongType(t, w)
	if got := strings.TrimSpace(redisCLI(t, cli, srv, "FLUSHDB")); got != "OK" {
		t.Errorf("FLUSHDB = %q", got)
	}
	if keys := cliLines(redisCLI(t, cli, srv, "KEYS", "*")); len(keys) != 0 {
		t.Errorf("KEYS * after FLUSHDB = %v", keys)
	}
	if n, err := c.DBSize(context.Background()).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE after FLUSHDB = %d, %v", n, err)
	}
}
