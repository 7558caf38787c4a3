package e2e

import (
	"bytes"
	"context"
	bin "encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// bombPNG is a PNG whose header claims w×h pixels, followed by nothing.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	bin.BigEndian.PutUint32(ihdr[0:], w)
	bin.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	bin.Write(&b, bin.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	bin.Write(&b, bin.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

type badFile struct {
	name string
	data []byte // nil: a directory
}

func badFiles(t *testing.T) []badFile {
	good, err := pipeline.SampleJPEG(64, 48, 1, 90)
	must(t, err)
	return []badFile{
		{"corrupt.jpg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x13, 0x37}, 300)...)},
		{"truncated.jpg", good[:len(good)/3]},
		{"empty.jpg", []byte{}},
		{"bomb.png", bombPNG(100000, 100000)},
		{"notes.jpg", []byte("this is not an image, just text\n")},
		{"adir.jpg", nil},
	}
}

func writeBad(t *testing.T, dir string, fs []badFile) {
	for _, f := range fs {
		p := filepath.Join(dir, f.name)
		if f.data == nil {
			must(t, os.MkdirAll(p, 0o755))
			continue
		}
		must(t, os.WriteFile(p, f.data, 0o644))
	}
}

// Bad files given to `imgq enqueue FILE` are refused before Redis, each with a
// clear error and a non-zero exit; the good file named with them is enqueued
// (once: each run gives it the same id), as a folder of 10,000 photos with one
// bad one enqueues the other 9,999.
func TestBadInputRefusedAtEnqueue(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "badin")
	good, _ := pipeline.SampleJPEG(64, 48, 2, 90)
	must(t, os.WriteFile(filepath.Join(dir, "good.jpg"), good, 0o644))
	fs := badFiles(t)
	writeBad(t, dir, fs)
	want := map[string]string{
		"corrupt.jpg": "corrupt.jpg", "empty.jpg": "empty", "bomb.png": "100000",
		"notes.jpg": "not", "adir.jpg": "directory", "missing.jpg": "no such file",
	}
	for _, f := range append(fs, badFile{name: "missing.jpg"}) {
		out, code := Run(t, srv, dir, "enqueue", "--queue", "badin", "good.jpg", f.name)
		if f.name == "truncated.jpg" {
			// Its header is fine; the decoder finds the damage (see the worker test).
			if code == 0 {
				t.Logf("%-14s accepted at enqueue (header is valid); dead-lettered by the worker", f.name)
				_, _ = q.Flush(context.Background())
				continue
			}
		}
		if code == 0 {
			t.Errorf("enqueue %s: exit 0, want a refusal:\n%s", f.name, out)
			continue
		}
		if w := want[f.name]; w != "" && !strings.Contains(strings.ToLower(out), w) {
			t.Errorf("enqueue %s: error does not say %q:\n%s", f.name, w, out)
		}
		t.Logf("%-14s refused at enqueue: %s", f.name, firstLine(out))
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--filters", "sparkle"}, "valid: brightness"},
		{[]string{"--filters", "blur:1000"}, "from 0 to 50"},
		{[]string{"--filters", "brightness:-2"}, "from 0 to 10"},
		{[]string{"--filters", "resize:0x0"}, "resize"},
		{[]string{"--shared", "--input", "images", "../outside.jpg"}, "not inside the input folder"},
		{[]string{"--priority", "urgent"}, "valid: high, normal, low"},
	} {
		out, code := Run(t, srv, dir, append([]string{"enqueue", "--queue", "badin", "good.jpg"}, c.args...)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("enqueue %v: exit %d, want a refusal saying %q:\n%s", c.args, code, c.want, out)
		}
		t.Logf("%-40s refused: %s", strings.Join(c.args, " "), firstLine(out))
	}
	s, err := q.Stats(context.Background())
	must(t, err)
	if s.Totals.Enqueued != 1 || s.PendingTotal() != 1 {
		t.Fatalf("refused enqueues left tasks behind, or good.jpg was not enqueued exactly once: %+v", s)
	}
}

// The same bad inputs reaching a worker by the shared-folder route, plus ../ and
// symlink escapes for input and output (image_path and output_path in the
// course's data), garbage data, a missing record and a record of the wrong type:
// each task is dead-lettered at once as permanent (one attempt, no retry) with a
// clear error, the ghost and the list too (never dropped without a trace);
// nothing stays stuck; the file outside the output folder is untouched.
func TestBadInputAtWorker(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "badw")
	ctx := context.Background()
	rdb := q.Client()
	images := filepath.Join(dir, "images")
	must(t, os.MkdirAll(filepath.Join(dir, "output"), 0o755))
	must(t, os.MkdirAll(images, 0o755))
	fs := badFiles(t)
	writeBad(t, images, fs)
	good, _ := pipeline.SampleJPEG(64, 48, 3, 90)
	must(t, os.WriteFile(filepath.Join(images, "ok.jpg"), good, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "outside.jpg"), good, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "victim.jpg"), []byte("keep me"), 0o644))
	must(t, os.Symlink("../outside.jpg", filepath.Join(images, "link.jpg")))
	must(t, os.WriteFile(filepath.Join(images, "gone.jpg"), good, 0o644))

	want := map[string]string{} // task id -> what its error must say
	for _, f := range append(fs, badFile{name: "link.jpg"}, badFile{name: "gone.jpg"}) {
		if f.name == "adir.jpg" {
			// A folder given to enqueue is searched for images, and this one
			// has none: refused before Redis. The worker still meets a
			// directory through a course-made task (task-adir below).
			out, code := Run(t, srv, dir, "enqueue", "--queue", "badw", "--shared", "--input", "images", filepath.Join("images", f.name))
			if code == 0 || !strings.Contains(out, "directory") {
				t.Fatalf("enqueue of a folder without images: exit %d\n%s", code, out)
			}
			continue
		}
		ids := enqueueIDs(t, srv, dir, "--queue", "badw", "--shared", "--input", "images", filepath.Join("images", f.name))
		want[ids[0]] = f.name
	}
	must(t, os.Remove(filepath.Join(images, "gone.jpg"))) // missing by the time a worker looks
	hand := func(id, payload string) {
		_, created, err := q.Enqueue(ctx, queue.NewTask{ID: id, Name: id, Payload: []byte(payload)})
		must(t, err)
		if !created {
			t.Fatalf("%s not created", id)
		}
		want[id] = id
	}
	hand("task-adir", `{"filters":"grayscale","image_path":"adir.jpg"}`)
	hand("task-dotdot", `{"filters":"grayscale","image_path":"../outside.jpg"}`)
	hand("task-abs", `{"filters":"grayscale","image_path":"/etc/passwd"}`)
	hand("task-badfilter", `{"filters":"sparkle","image_path":"ok.jpg"}`)
	hand("task-badparam", `{"filters":"blur:1e9","image_path":"ok.jpg"}`)
	// task-outlink's output_path is a symlink leading out of the output folder.
	must(t, os.Symlink("../victim.jpg", filepath.Join(dir, "output", "outlink.jpg")))
	hand("task-outlink", `{"filters":"grayscale","image_path":"ok.jpg","output_path":"output/outlink.jpg"}`)
	// task-outpath's output_path tries to leave the folder: it keeps only its base name.
	hand("task-outpath", `{"filters":"grayscale","image_path":"ok.jpg","output_path":"../../escaped.jpg"}`)
	delete(want, "task-outpath")
	// Written by hand with redis-cli: a record with garbage data, an id whose
	// record is gone, and one whose record is a list.
	k := q.Keys()
	must(t, rdb.HSet(ctx, k.Task("task-garbage"), "id", "task-garbage", "name", "garbage", "priority", "normal",
		"data", "\x00\xffnot json{", "status", "pending", "attempts", 0, "max_attempts", 3).Err())
	must(t, rdb.RPush(ctx, k.Task("task-alist"), "not", "a", "hash").Err())
	must(t, rdb.RPush(ctx, k.Pending, "task-garbage", "task-ghost", "task-alist").Err())
	want["task-garbage"] = "garbage"
	msgs := map[string]string{
		"corrupt.jpg": "corrupt.jpg", "truncated.jpg": "truncated.jpg", "empty.jpg": "empty", "bomb.png": "100000",
		"notes.jpg": "notes.jpg", "adir.jpg": "directory", "link.jpg": "escapes", "gone.jpg": "no such file",
		"task-adir": "directory", "task-dotdot": "escapes", "task-abs": "/etc/passwd", "task-badfilter": "unknown filter", "task-badparam": "from 0 to 50",
		"task-outlink": "symlink", "task-garbage": "malformed task data",
	}

	Start(t, srv, dir, "worker", "--queue", "badw", "--id", "bw", "--concurrency", "2", "--input", "images", "--output", "output")
	eventually(t, 60*time.Second, func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s.Failed == int64(len(want)+2) && s.PendingTotal() == 0 && s.Processing == 0
	})
	for id, what := range want {
		info, err := q.Task(ctx, id)
		must(t, err)
		if info.Status != queue.StatusFailed || info.Attempts != 1 {
			t.Errorf("%s (%s): status %s after %d attempts, want failed after 1 (permanent)", id, what, info.Status, info.Attempts)
		}
		if m := msgs[what]; !strings.Contains(info.Error, m) {
			t.Errorf("%s (%s): error %q does not say %q", id, what, info.Error, m)
		}
		t.Logf("%-15s dead-lettered: %s", what, info.Error)
	}
	evs := allEvents(t, q)
	k2 := countKinds(evs)
	if k2[queue.EventRetried] != 0 {
		t.Errorf("%d retries of permanent failures", k2[queue.EventRetried])
	}
	why := map[string]string{}
	for _, e := range evs {
		if e.Kind == queue.EventFailed {
			why[e.Task] = e.Error
		}
	}
	if why["task-ghost"] != "task record task:task-ghost is missing" || why["task-alist"] != "task record task:task-alist is a list, not a hash" {
		t.Errorf("ghost and list ids: %q / %q", why["task-ghost"], why["task-alist"])
	}
	if ty := rdb.Type(ctx, k.Task("task-alist")).Val(); ty != "list" {
		t.Errorf("the foreign key task:task-alist was changed to a %s", ty)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "victim.jpg")); string(b) != "keep me" {
		t.Fatalf("the file outside the output folder was overwritten: %q", b)
	}
	if info, err := q.Task(ctx, "task-outpath"); err != nil || info.Status != queue.StatusCompleted ||
		info.Output != filepath.Join("output", "escaped.jpg") {
		t.Errorf("output_path ../../escaped.jpg: %+v %v (want completed inside output/)", info, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "escaped.jpg")); err == nil {
		t.Error("an output escaped the output folder")
	}
	t.Logf("bad inputs at the worker: %d tasks dead-lettered as permanent, the ghost and the list id with the reason", len(want))
}

// Connection mistakes: a wrong password, an unreachable Redis, a bad URL scheme,
// and queue names with spaces or control characters: a clear message, a non-zero
// exit, and the password never printed.
func TestBadInputConnection(t *testing.T) {
	const pw = "Corr3ctHorseBattery"
	srv := redistest.Start(t, redistest.Options{Password: pw})
	dir := t.TempDir()
	dead := redistest.FreePort(t)
	cases := []struct {
		url, want string
		args      []string
	}{
		{fmt.Sprintf("redis://:WrongPassw0rdXYZ@%s/0", srv.Addr()), "refused the password", nil},
		{fmt.Sprintf("redis://ana:WrongPassw0rdXYZ@%s/0", srv.Addr()), "refused the password", nil},
		{fmt.Sprintf("redis://%s/0", srv.Addr()), "needs a password", nil},
		{fmt.Sprintf("redis://:WrongPassw0rdXYZ@127.0.0.1:%d/0", dead), "nothing answers", nil},
		{"http://:WrongPassw0rdXYZ@127.0.0.1:6379/0", "unsupported scheme", nil},
		{"redis://:WrongPassw0rdXYZ@127.0.0.1:notaport/0", "redis url", nil},
		{"WrongPassw0rdXYZ", "redis url", nil},
		{srv.URL(), "spaces, control", []string{"--queue", "my queue"}},
		{srv.URL(), "not allowed", []string{"--queue", "q\x1b[2J\x07"}},
		{srv.URL(), "not allowed", []string{"--queue", "a:b"}},
	}
	for _, c := range cases {
		for _, cmd := range [][]string{{"stats"}, {"enqueue", "--count", "1", "--size", "8x8"}, {"worker"}} {
			args := append(append([]string{}, cmd...), c.args...)
			p := StartEnv(t, []string{"REDIS_URL=" + c.url}, dir, args...)
			code := p.Wait(t, 30*time.Second)
			out := p.Output()
			if code == 0 || !strings.Contains(out, c.want) {
				t.Errorf("%v with %s: exit %d, want an error saying %q:\n%s", args, safeURL(c.url), code, c.want, out)
			}
			if strings.Contains(out, "WrongPassw0rdXYZ") || strings.Contains(out, pw) {
				t.Errorf("%v printed a password:\n%s", args, out)
			}
			if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) {
				t.Errorf("%v printed a control character:\n%q", args, out)
			}
			if cmd[0] == "stats" {
				t.Logf("%-24s → exit %d: %s", safeURL(c.url)+strings.Join(c.args, " "), code, firstLine(out))
			}
		}
	}
}

func safeURL(u string) string {
	return strings.ReplaceAll(strings.ReplaceAll(u, "WrongPassw0rdXYZ", "***"), "Corr3ctHorseBattery", "***")
}

// A password in the Redis URL never appears in any command's output, in the
// events stream, or in anything imgq writes to Redis.
func TestPasswordNeverPrinted(t *testing.T) {
	const pw = "s3cr3t-Pa55word-42"
	srv := redistest.Start(t, redistest.Options{Password: pw})
	dir := t.TempDir()
	var outs []string
	run := func(args ...string) string {
		out, code := Run(t, srv, dir, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		outs = append(outs, out)
		return out
	}
	ids := parseIDs(run("enqueue", "--queue", "pw", "--count", "3", "--size", "16x16"))
	w := Start(t, srv, dir, "worker", "--queue", "pw", "--id", "pwworker", "--verbose")
	q := newQueue(t, srv, "pw")
	waitFinished(t, q, 3, 30*time.Second)
	run("stats", "--queue", "pw")
	run("stats", "--queue", "pw", "--json")
	run("events", "--queue", "pw", "--follow=false", "--last", "100")
	run("task", "--queue", "pw", ids[0])
	run("requeue", "--queue", "pw", "--all")
	// An explicit --redis flag, and an error after connecting.
	out, _ := Run(t, srv, dir, "--redis", srv.URL(), "task", "--queue", "pw", "task-nope")
	outs = append(outs, out)
	_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	w.Wait(t, 30*time.Second)
	outs = append(outs, w.Output())
	for _, o := range outs {
		if strings.Contains(o, pw) {
			t.Fatalf("output contains the password:\n%s", o)
		}
	}
	// Nothing in Redis carries it either (events, worker hash, task hashes).
	ctx := context.Background()
	rdb := q.Client()
	keys, err := rdb.Keys(ctx, "pw:*").Result()
	must(t, err)
	for _, k := range keys {
		var dump string
		switch rdb.Type(ctx, k).Val() {
		case "hash":
			dump = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "stream":
			dump = fmt.Sprint(rdb.XRange(ctx, k, "-", "+").Val())
		case "list":
			dump = fmt.Sprint(rdb.LRange(ctx, k, 0, -1).Val())
		case "zset":
			dump = fmt.Sprint(rdb.ZRange(ctx, k, 0, -1).Val())
		case "string":
			dump = rdb.Get(ctx, k).Val()
		}
		if strings.Contains(dump, pw) {
			t.Fatalf("key %s holds the password", k)
		}
	}
	t.Logf("password checked absent from %d outputs and %d keys", len(outs), len(keys))
}

// Task names, worker ids and errors carrying ANSI escape sequences (written by
// hand into Redis, or given with --name) never reach the terminal: `imgq
// events`, `imgq stats`, `imgq task` and `imgq enqueue` print no ESC or BEL byte.
func TestBadInputANSIEscapes(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	q := newQueue(t, srv, "ansi")
	ctx := context.Background()
	rdb := q.Client()
	k := q.Keys()
	evil := "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[31mred\x9b1m"
	outs := map[string]string{}
	out, code := Run(t, srv, dir, "enqueue", "--queue", "ansi", "--count", "1", "--size", "8x8", "--name", "name"+evil)
	if code != 0 {
		t.Fatalf("enqueue: %s", out)
	}
	outs["enqueue"] = out
	id := parseIDs(out)[0]
	must(t, rdb.HSet(ctx, k.Task(id), "error", "err"+evil, "worker", "w"+evil).Err())
	must(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.Events, Values: []any{"kind", "failed" + evil, "task", id + evil, "name", "n" + evil,
		"worker", "w" + evil, "prev", "p" + evil, "error", "e" + evil}}).Err())
	// A worker registered by hand with escapes in every field the table shows.
	now := time.Now().UnixMilli()
	must(t, rdb.ZAdd(ctx, k.Workers, redis.Z{Score: float64(now), Member: "evil"}).Err())
	must(t, rdb.HSet(ctx, k.Worker("evil"), "id", "evil"+evil, "host", "h"+evil, "pid", 1, "state", "idle"+evil,
		"started_at", now, "last_seen", now, "current", id).Err())
	for name, args := range map[string][]string{
		"events": {"events", "--queue", "ansi", "--follow=false", "--last", "50"},
		"stats":  {"stats", "--queue", "ansi"},
		"task":   {"task", "--queue", "ansi", id},
	} {
		out, code := Run(t, srv, dir, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		outs[name] = out
	}
	for name, o := range outs {
		if i := strings.IndexAny(o, "\x1b\x07\u009b"); i >= 0 {
			t.Errorf("imgq %s printed a control byte at %d:\n%q", name, i, o)
		}
	}
}
