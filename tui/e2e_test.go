package tui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// TestE2EBinaryInTmux builds the real imgq, runs it against a real
// redis-server in tmux at 120×36, presses keys and reads the screen.
func TestE2EBinaryInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "imgq")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := redistest.Start(t, redistest.Options{})
	// The test's own temp folder names the socket: t.TempDir's last element
	// is always "001", and a shared name let concurrent runs kill each other.
	sock := "imgq-e2e-" + filepath.Base(filepath.Dir(dir))
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", sock, "kill-server").Run() })
	tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", "-c", dir,
		bin+" --redis "+srv.URL()+" --workers 2")
	waitFor := func(what ...string) string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s := tmux("capture-pane", "-t", "e2e", "-p")
			ok := true
			for _, w := range what {
				ok = ok && strings.Contains(s, w)
			}
			if ok {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %q:\n%s", what, s)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("imgq image_processing", "● connected", "Queues", "Workers")
	tmux("send-keys", "-t", "e2e", "E")
	waitFor("enqueued 15 tasks")
	q, _ := queue.New(srv.Client(t), queue.Options{})
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := q.Stats(context.Background())
		if err == nil && s.Totals.Completed == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the embedded workers did not finish the batch: %+v %v", s.Totals, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitFor("completed")
	tmux("send-keys", "-t", "e2e", "m")
	// The scripts by name with their keys whole, and what is hidden said.
	mon := waitFor("MONITOR", "EVALSHA", ".lua image_processing:", "image_processing:leases",
		"hidden: the dashboard's own polling")
	if cut := regexp.MustCompile(`image_processing:[\w:-]*…`).FindString(mon); cut != "" {
		t.Fatalf("a key cut in MONITOR: %q\n%s", cut, mon)
	}
	tmux("send-keys", "-t", "e2e", "m")
	tmux("send-keys", "-t", "e2e", "?")
	waitFor("Help", "enqueue 15", "MONITOR")
	tmux("send-keys", "-t", "e2e", "?")
	tmux("send-keys", "-t", "e2e", "q")
	deadline = time.Now().Add(15 * time.Second)
	for exec.Command("tmux", "-L", sock, "has-session", "-t", "e2e").Run() == nil {
		if time.Now().After(deadline) {
			t.Fatal("imgq did not exit after q")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Quitting stopped the embedded workers cleanly: they deregistered.
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range s.Workers {
		if w.State != queue.WorkerStop {
			t.Fatalf("worker %s is %s after quit, want stopped", w.ID, w.State)
		}
	}
	_ = os.Remove(bin)
}
