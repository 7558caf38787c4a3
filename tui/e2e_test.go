package tui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	// --pace 1s: every task lasts at least a second, so a busy worker and
	// its task stay on screen long enough to be read (and to be tested).
	tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", "-c", dir,
		bin+" --redis "+srv.URL()+" --workers 2 --pace 1s")
	// waitFor polls the screen until every pattern matches, up to a deadline
	// generous enough for a loaded machine: no assertion here is about speed.
	waitFor := func(what ...string) string {
		t.Helper()
		res := make([]*regexp.Regexp, len(what))
		for i, w := range what {
			res[i] = regexp.MustCompile(w)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			s := tmux("capture-pane", "-t", "e2e", "-p")
			ok := true
			for _, re := range res {
				ok = ok && re.MatchString(s)
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
	q := regexp.QuoteMeta
	waitFor(q("imgq image_processing"), q("● connected"), "Queues", "Workers", `pace 1(\.0)?s\b`)
	tmux("send-keys", "-t", "e2e", "E")
	waitFor("enqueued 15 tasks")
	// A busy worker shows the task it works on, on its own row.
	waitFor(`(?m)^ ● .*\bbusy +task-[0-9a-f]{4,}`)

	// MONITOR while the batch runs: the claims name the pending lists, and
	// every key is whole (the arguments around it may be elided, never a key).
	tmux("send-keys", "-t", "e2e", "m")
	mon := waitFor("MONITOR", "EVALSHA", q(".lua image_processing:"), q("image_processing:leases"),
		q("hidden: the dashboard's own polling"),
		`(?m)^ \d\d:\d\d:\d\d\.\d{3} .*\bimage_processing:pending(:high|:low)?( |$)`)
	if cut := regexp.MustCompile(`image_processing:[\w:-]*…`).FindString(mon); cut != "" {
		t.Fatalf("a key cut in MONITOR: %q\n%s", cut, mon)
	}
	tmux("send-keys", "-t", "e2e", "m")

	qu, _ := queue.New(srv.Client(t), queue.Options{})
	deadline := time.Now().Add(90 * time.Second)
	for {
		s, err := qu.Stats(context.Background())
		if err == nil && s.Totals.Completed == 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the embedded workers did not finish the batch: %+v %v", s.Totals, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitFor("completed")

	// < steps the pace down (1s, 500ms, 250ms, off) and the header follows.
	tmux("send-keys", "-t", "e2e", "<")
	waitFor(`pace 500ms\b`)
	tmux("send-keys", "-t", "e2e", "<")
	waitFor(`pace 250ms\b`)
	tmux("send-keys", "-t", "e2e", "<")
	if s := waitFor(`pace off\b`); regexp.MustCompile(`pace \d`).MatchString(s) {
		t.Fatalf("the header still shows a pace:\n%s", s)
	}
	// > turns it on again; quitting turns off what this dashboard turned on.
	tmux("send-keys", "-t", "e2e", ">")
	waitFor(`pace 250ms\b`)
	tmux("send-keys", "-t", "e2e", "?")
	waitFor("Help", "enqueue 15", "MONITOR")
	tmux("send-keys", "-t", "e2e", "?")
	tmux("send-keys", "-t", "e2e", "q")
	deadline = time.Now().Add(60 * time.Second)
	for exec.Command("tmux", "-L", sock, "has-session", "-t", "e2e").Run() == nil {
		if time.Now().After(deadline) {
			t.Fatal("imgq did not exit after q")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Quitting stopped the embedded workers cleanly: they deregistered.
	s, err := qu.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Pace != 0 {
		t.Fatalf("pace %v left on in Redis after quit", s.Pace)
	}
	for _, w := range s.Workers {
		if w.State != queue.WorkerStop {
			t.Fatalf("worker %s is %s after quit, want stopped", w.ID, w.State)
		}
	}
	_ = os.Remove(bin)
}
