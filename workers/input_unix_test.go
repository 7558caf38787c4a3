//go:build unix

package workers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// within fails the test if fn does not return within d (a blocked open or an
// endless read would hang it for ever).
func within[T any](t *testing.T, d time.Duration, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
		panic("unreachable")
	}
}

func TestFileTaskReadsRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	spec, _ := pipeline.Parse("grayscale")
	cases := map[string]string{
		"/dev/zero": "is a character device",
		fifo:        "is a named pipe (FIFO)",
		dir:         "is a directory",
	}
	for path, want := range cases {
		err := within(t, 5*time.Second, func() error {
			_, err := workers.FileTask(spec, path, dir, false, pipeline.Limits{})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), want) || !queue.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent %q", path, err, want)
		}
	}
	big := filepath.Join(dir, "big.jpg")
	if err := os.WriteFile(big, make([]byte, 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := workers.FileTask(spec, big, dir, false, pipeline.Limits{MaxBytes: 1000}); err == nil || !strings.Contains(err.Error(), "over the 1000 byte limit") {
		t.Errorf("big file: %v", err)
	}
}

// A regular file whose size lies (Linux's /proc files say 0 bytes) is cut at
// the limit, not read to its end.
func TestFileTaskCutsAFileWhoseSizeLies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	spec, _ := pipeline.Parse("grayscale")
	_, err := workers.FileTask(spec, "/proc/self/maps", "/", false, pipeline.Limits{MaxBytes: 64})
	if err == nil || !strings.Contains(err.Error(), "more than the 64 byte limit was read") || !errors.Is(err, pipeline.ErrBadInput) {
		t.Fatalf("/proc/self/maps with a 64-byte limit: %v", err)
	}
}

func TestImageHandlerRefusesAFIFOInItsInputFolder(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(in, "cat.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(in, "zero.jpg")); err != nil {
		t.Fatal(err)
	}
	inRoot, err := os.OpenRoot(in)
	if err != nil {
		t.Fatal(err)
	}
	outRoot, err := os.OpenRoot(out)
	if err != nil {
		t.Fatal(err)
	}
	h := &workers.ImageHandler{Input: inRoot, Output: outRoot}
	for _, p := range []string{"cat.jpg", "images/../cat.jpg"} {
		err := within(t, 5*time.Second, func() error {
			_, err := h.Handle(context.Background(), queue.Claimed{ID: "task-1",
				Payload: []byte(`{"name":"cat.jpg","image_path":"` + p + `"}`)})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "named pipe") || !queue.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent refusal of the FIFO", p, err)
		}
	}
	// A symlink out of the folder (to a device) is refused as an escape.
	_, err = h.Handle(context.Background(), queue.Claimed{ID: "task-2",
		Payload: []byte(`{"name":"z.jpg","image_path":"zero.jpg"}`)})
	if err == nil || !queue.IsPermanent(err) {
		t.Errorf("zero.jpg: %v, want permanent", err)
	}
}
