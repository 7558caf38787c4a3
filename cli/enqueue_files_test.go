package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// A folder of a few hundred small images with a corrupt one and one that
// cannot be read (a symlink to nothing): every good file is enqueued exactly
// once, in the folder's order, the bad two are named, the exit status says
// some failed, and the report counts right; run again, nothing is enqueued
// twice and --json says so.
func TestEnqueueFolderSkipsBadFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "photos")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	const good = 300
	var goodFiles []string
	var goodBytes int64
	variants := make([][]byte, 7)
	for i := range variants {
		var err error
		if variants[i], err = pipeline.SampleJPEG(8+i, 6, int64(i), 80); err != nil {
			t.Fatal(err)
		}
	}
	for i := range good {
		p := filepath.Join(dir, fmt.Sprintf("img_%03d.jpg", i))
		if i%50 == 7 {
			p = filepath.Join(dir, fmt.Sprintf("img_%03d.PNG", i))
		}
		b := variants[i%len(variants)]
		if strings.HasSuffix(p, ".PNG") {
			b = pngOf(t, 5, 4)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		goodFiles = append(goodFiles, p)
		goodBytes += int64(len(b))
	}
	corrupt := filepath.Join(dir, "img_100_corrupt.jpg")
	gone := filepath.Join(dir, "img_200_gone.jpg")
	mustWrite(t, corrupt, []byte("\xFF\xD8\xFFthis is not a JPEG"))
	if err := os.Symlink(filepath.Join(dir, "nowhere.jpg"), gone); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "notes.txt"), []byte("skipped"))
	mustWrite(t, filepath.Join(dir, ".hidden.jpg"), []byte("not even looked at"))

	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := Execute(ctx, append([]string{"--redis", srv.URL(), "enqueue", "-f", "grayscale"}, args...), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	stdout, stderr, code := run(dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (some files not enqueued)\n%s", code, stderr)
	}
	for _, bad := range []string{corrupt, gone} {
		if !strings.Contains(stderr, "not enqueued: "+bad+": ") {
			t.Errorf("stderr does not name %s:\n%s", bad, stderr)
		}
	}
	if !strings.Contains(stderr, "corrupt jpeg header") || !strings.Contains(stderr, "no such file") {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
	if !strings.Contains(stderr, "skipped 2 folder entries") || !strings.Contains(stderr, "notes.txt") || strings.Contains(stderr, ".hidden") {
		t.Errorf("stderr does not list the skipped entries (notes.txt, sub) alone:\n%s", stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("enqueued %d task(s) on image_processing:pending (normal priority)\n", good)) ||
		!strings.Contains(stderr, fmt.Sprintf("%d files (", good)) {
		t.Errorf("summary does not count %d:\n%s", good, stderr)
	}
	if last := lastLine(stderr); !strings.Contains(last, "2 of 302 file(s) not enqueued") || !strings.Contains(last, corrupt) || !strings.Contains(last, gone) {
		t.Errorf("last line %q: want the count and both names", last)
	}
	ids := idsOf(t, stdout, goodFiles)

	// Redis holds each good file once, pending in the folder's order, with its bytes.
	pending, err := rdb.LRange(ctx, "image_processing:pending", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pending, ids) {
		t.Fatalf("pending list (%d) differs from the ids printed (%d) in the folder's order", len(pending), len(ids))
	}
	if n, _ := rdb.HGet(ctx, "image_processing:stats", "enqueued").Int(); n != good {
		t.Errorf("stats enqueued = %d, want %d", n, good)
	}
	for _, i := range []int{0, 7, good - 1} {
		blob, err := rdb.Get(ctx, "image_processing:blob:"+ids[i]).Bytes()
		want, _ := os.ReadFile(goodFiles[i])
		if err != nil || !bytes.Equal(blob, want) {
			t.Errorf("blob of %s: %d bytes (%v), want the file's %d", goodFiles[i], len(blob), err, len(want))
		}
		data, _ := rdb.HGet(ctx, "task:"+ids[i], "data").Result()
		if !strings.Contains(data, filepath.Base(goodFiles[i])) {
			t.Errorf("task:%s data %s does not name %s", ids[i], data, goodFiles[i])
		}
	}

	// Again, as paths on stdin, with --json: the same ids, all already there.
	var out, errOut bytes.Buffer
	var list strings.Builder
	for _, f := range append(goodFiles, corrupt, gone) {
		fmt.Fprintln(&list, f)
	}
	cmd := newRoot(&globals{out: &out, errOut: &errOut})
	cmd.SetArgs([]string{"--redis", srv.URL(), "enqueue", "-f", "grayscale", "--json", "-"})
	cmd.SetIn(strings.NewReader(list.String()))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.ExecuteContext(ctx); err == nil {
		t.Fatalf("second run: no error, want 2 files not enqueued\n%s", errOut.String())
	}
	var rep enqueueReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	if rep.Files != good+2 || rep.Enqueued != good || rep.Already != good || rep.Failed != 2 || rep.Bytes != goodBytes ||
		len(rep.Tasks) != good || len(rep.Errors) != 2 || rep.Errors[0].File != corrupt || rep.Errors[1].File != gone {
		t.Errorf("--json counts: files %d enqueued %d already %d failed %d bytes %d (want %d) tasks %d errors %v",
			rep.Files, rep.Enqueued, rep.Already, rep.Failed, rep.Bytes, goodBytes, len(rep.Tasks), rep.Errors)
	}
	for i, tk := range rep.Tasks {
		if tk.ID != ids[i] || tk.File != goodFiles[i] || tk.Created {
			t.Fatalf("--json task %d = %+v, want %s for %s, not created", i, tk, ids[i], goodFiles[i])
		}
	}
	if rep.Stages.Workers < 1 || rep.Stages.Batches < 1 {
		t.Errorf("--json stages %+v", rep.Stages)
	}
	if n, _ := rdb.LLen(ctx, "image_processing:pending").Result(); n != good {
		t.Errorf("after the second run %d pending, want %d (nothing twice)", n, good)
	}
}

// The pipeline's task for a file is the one workers.FileTask makes, given the
// same id: a course worker or an imgq worker reads the same record.
func TestFileTaskerMatchesFileTask(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cat.jpg")
	b, err := pipeline.SampleJPEG(16, 12, 3, 90)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p, b)
	spec, err := pipeline.Parse("blur:2,grayscale")
	if err != nil {
		t.Fatal(err)
	}
	ft := &fileTasker{queueName: "q", spec: spec, filters: spec.String(), maxBytes: pipeline.DefaultMaxBytes, prio: queue.Normal}
	it := &enqItem{path: p}
	ft.stat(it)
	ft.build(it)
	if it.err != nil {
		t.Fatal(it.err)
	}
	want, err := workers.FileTask(spec, p, ".", false, pipeline.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want, err = workers.WithID(want, it.task.ID); err != nil {
		t.Fatal(err)
	}
	if string(it.task.Payload) != string(want.Payload) || it.task.Name != want.Name || !bytes.Equal(it.task.Blob, want.Blob) {
		t.Errorf("pipeline task %s %s (%d bytes), FileTask's %s %s (%d bytes)",
			it.task.Name, it.task.Payload, len(it.task.Blob), want.Name, want.Payload, len(want.Blob))
	}
	abs, _ := filepath.Abs(p)
	if id := fileTaskID("q", abs, it.fi, spec.String(), false); id != it.task.ID {
		t.Errorf("id %s, want the file's key %s", it.task.ID, id)
	}
}

// Stopping the run (Ctrl-C) after the first batch: every file is reported
// once, the first batch as Redis answered, the rest as interrupted, and the
// pipeline's goroutines end (TestMain checks for leaks).
func TestEnqueuePipelineStops(t *testing.T) {
	dir := t.TempDir()
	b, err := pipeline.SampleJPEG(8, 8, 1, 80)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 3*enqBatchTasks + 5 {
		p := filepath.Join(dir, fmt.Sprintf("f%04d.jpg", i))
		mustWrite(t, p, b)
		files = append(files, p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sends := 0
	send := func(_ context.Context, ts []queue.NewTask) ([]queue.EnqueueResult, error) {
		sends++
		cancel() // Ctrl-C while the first batch is at Redis
		res := make([]queue.EnqueueResult, len(ts))
		for i, tk := range ts {
			res[i] = queue.EnqueueResult{ID: tk.ID, Created: true}
		}
		return res, nil
	}
	ft := &fileTasker{queueName: "q", maxBytes: pipeline.DefaultMaxBytes, prio: queue.Normal}
	p := newEnqPipeline(ft, files, send)
	seen := make([]int, len(files))
	sent, interrupted := 0, 0
	p.run(ctx, func(bt *enqBatch) {
		for _, it := range bt.items {
			seen[it.idx]++
			switch r, ok := bt.results[it.idx]; {
			case ok && r.Created && it.err == nil:
				sent++
			case it.err == errInterrupted:
				interrupted++
			default:
				t.Errorf("%s: result %+v, err %v", it.path, r, it.err)
			}
		}
	})
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("%s reported %d times", files[i], n)
		}
	}
	if sends != 1 || sent != enqBatchTasks || interrupted != len(files)-enqBatchTasks {
		t.Errorf("%d sends, %d sent, %d interrupted; want 1 batch of %d sent and the other %d interrupted",
			sends, sent, interrupted, enqBatchTasks, len(files)-enqBatchTasks)
	}
	if free := p.budget.free; free != enqBudgetBytes {
		t.Errorf("budget %d bytes free at the end, want all %d back", free, enqBudgetBytes)
	}
}

func idsOf(t *testing.T, stdout string, files []string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines on stdout, want one per good file (%d)", len(lines), len(files))
	}
	var ids []string
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 3 || !strings.HasPrefix(f[0], "task-") || f[1] != filepath.Base(files[i]) || f[2] != "grayscale" {
			t.Fatalf("stdout line %d %q: want id, %s, grayscale (in the folder's order)", i, l, filepath.Base(files[i]))
		}
		ids = append(ids, f[0])
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s printed twice", id)
		}
		seen[id] = true
	}
	return ids
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img, err := pipeline.Sample(w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pipeline.Encode(img, pipeline.FormatPNG, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}
