package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real dashboard, in tmux at 120×36, reaches the queue through three
// Sentinels (redis+sentinel://): its header names the master; the primary is
// killed, and the header names the replica Sentinel promoted while the footer
// says a failover happened, from which master to which. The password in the
// URL never reaches the screen.
func TestSentinelDashboardFailover(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	set := startSentinelSet(t)
	dir := t.TempDir()
	sock := "imgq-sentinel-" + filepath.Base(dir)
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", sock, "kill-server").Run() })
	// The URL goes in the environment, as an operator's would, not on the
	// command line where ps shows it.
	cmd := fmt.Sprintf("exec env REDIS_URL='%s' %s --workers 0 --queue sq", set.URL(), binary)
	tmux("-f", "/dev/null", "new-session", "-d", "-s", "d", "-x", "120", "-y", "36", "-c", dir, cmd)
	screen := func() string { return tmux("capture-pane", "-t", "d", "-p") }
	waitScreen := func(what string, want ...string) string {
		t.Helper()
		var s string
		deadline := time.Now().Add(30 * time.Second)
		for {
			s = screen()
			if containsAll(s, want...) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%q) on the screen:\n%s", what, want, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	before := "sentinel " + sentinelMaster + " → " + set.primary.Addr()
	s := waitScreen("the header to name the primary", before)
	t.Logf("before the kill:\n%s", firstLines(s, 3))
	killed := time.Now()
	set.primary.Kill()
	after := "sentinel " + sentinelMaster + " → " + set.replica.Addr()
	note := fmt.Sprintf("failover: master is now %s (was %s)", set.replica.Addr(), set.primary.Addr())
	s = waitScreen("the header to name the replica and the footer to say so", after, note)
	t.Logf("%s after the kill:\n%s", time.Since(killed).Round(100*time.Millisecond), s)
	if strings.Contains(s, sentinelPassword) {
		t.Fatalf("the password is on the screen:\n%s", s)
	}
	if first := firstLines(s, 1); strings.Contains(first, set.primary.Addr()) {
		t.Fatalf("the header still names the old primary: %q", first)
	}
	tmux("send-keys", "-t", "d", "q")
	eventuallyFor(t, 20*time.Second, "the dashboard to quit", func() bool {
		return exec.Command("tmux", "-L", sock, "has-session", "-t", "d").Run() != nil
	})
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// firstLines is the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
