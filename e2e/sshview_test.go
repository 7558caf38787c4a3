package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/internal/sshview/sshviewtest"
	"github.com/imgq/imgq/queue"
)

// teacher is the real dashboard with --share in tmux (it needs a terminal),
// serving SSH viewers on 127.0.0.1:port.
type teacher struct {
	t        *testing.T
	sock     string
	addr     string // the SSH viewers' address
	password string // read from the join line on the teacher's screen
	cfg      string // XDG_CONFIG_HOME: where the host key is kept
}

func startTeacher(t *testing.T, bin string, srv *redistest.Server, args ...string) *teacher {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	dir := t.TempDir()
	port := redistest.FreePort(t)
	tc := &teacher{t: t, sock: "imgq-ssh-" + filepath.Base(dir), addr: fmt.Sprintf("127.0.0.1:%d", port),
		cfg: filepath.Join(dir, "config")}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tc.sock, "kill-server").Run() })
	cmd := fmt.Sprintf("exec env XDG_CONFIG_HOME=%s %s --redis %s --share --ssh-addr %s %s",
		tc.cfg, bin, srv.URL(), tc.addr, strings.Join(args, " "))
	tc.tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "160", "-y", "40", "-c", dir, cmd)
	line := regexp.MustCompile(`watch: ssh -p (\d+) \S+ \(password ([0-9a-f]+)\)`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := tc.tmux("capture-pane", "-t", "t", "-p")
		if m := line.FindStringSubmatch(s); m != nil {
			if m[1] != strconv.Itoa(port) {
				t.Fatalf("the join line names port %s, the server listens on %d", m[1], port)
			}
			tc.password = m[2]
			return tc
		}
		if time.Now().After(deadline) {
			t.Fatalf("the teacher's screen has no ssh line:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tc *teacher) tmux(args ...string) string {
	tc.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tc.sock}, args...)...).CombinedOutput()
	if err != nil {
		tc.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// pid is the dashboard's process id (tmux exec'd it in the pane).
func (tc *teacher) pid() int {
	tc.t.Helper()
	p, err := strconv.Atoi(strings.TrimSpace(tc.tmux("display-message", "-p", "-t", "t", "#{pane_pid}")))
	if err != nil {
		tc.t.Fatal(err)
	}
	return p
}

func (tc *teacher) quit() {
	tc.t.Helper()
	tc.tmux("send-keys", "-t", "t", "q")
	eventually(tc.t, 30*time.Second, func() bool {
		return exec.Command("tmux", "-L", tc.sock, "has-session", "-t", "t").Run() != nil
	})
}

func enqueueNamed(t *testing.T, q *queue.Queue, prefix string, n int) {
	t.Helper()
	ts := make([]queue.NewTask, n)
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprintf("%s_%02d.jpg", prefix, i), Payload: []byte(`{"filters":["grayscale"]}`)}
	}
	if _, err := q.EnqueueBatch(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

// A student's SSH session on the real binary: the password on the teacher's
// join line lets it in, it shows the live queue, its keys cannot change the
// queue, a wrong password is refused, the host key is kept on disk, and the
// teacher quitting ends the session.
func TestSSHViewerWatchesTheRealDashboard(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := newQueue(t, srv, "room")
	tc := startTeacher(t, binary, srv, "--workers", "0", "--queue", "room")

	if _, _, err := sshviewtest.Dial(tc.addr, "ana", "not-"+tc.password); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	v := sshviewtest.Open(t, tc.addr, "ana", tc.password, "", 120, 36)
	v.WaitFor("imgq room", "connected")
	enqueueNamed(t, q, "lesson", 3)
	v.WaitFor("lesson_02.jpg")

	v.Press("eEfyxr") // enqueue, batch, flush + yes, failure injection, requeue
	v.WaitFor("read-only viewer")
	enqueueNamed(t, q, "marker", 1) // shows after the viewer's keys were handled
	v.WaitFor("marker_00.jpg")
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending != 4 || s.Totals.Enqueued != 4 || s.FailRate != 0 {
		t.Fatalf("the viewer changed the queue: pending %d, enqueued %d, fail rate %v", s.Pending, s.Totals.Enqueued, s.FailRate)
	}

	key := filepath.Join(tc.cfg, "imgq", "ssh_host_ed25519")
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("host key %s: %v (mode %v)", key, err, fi)
	}
	tc.quit()
	select {
	case <-v.Ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the viewer's session outlived the dashboard")
	}
}
