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
	needTmux(t)
	set := startSentinelSet(t)
	d := startDash(t, set.URL(), "--workers", "0", "--queue", "sq")
	before := "sentinel " + sentinelMaster + " → " + set.primary.Addr()
	s := d.wait("the header to name the primary", before)
	t.Logf("before the kill:\n%s", firstLines(s, 3))
	killed := time.Now()
	set.primary.Kill()
	after := "sentinel " + sentinelMaster + " → " + set.replica.Addr()
	note := fmt.Sprintf("failover: master is now %s (was %s)", set.replica.Addr(), set.primary.Addr())
	s = d.wait("the header to name the replica and the footer to say so", after, note)
	t.Logf("%s after the kill:\n%s", time.Since(killed).Round(100*time.Millisecond), s)
	if strings.Contains(s, sentinelPassword) {
		t.Fatalf("the password is on the screen:\n%s", s)
	}
	if first := firstLines(s, 1); strings.Contains(first, set.primary.Addr()) {
		t.Fatalf("the header still names the old primary: %q", first)
	}
	d.quit()
}

// Through --cluster, the header counts the masters that serve slots.
func TestClusterDashboardMasters(t *testing.T) {
	needTmux(t)
	nodes := startCluster(t)
	d := startDash(t, nodes[0].URL(), "--cluster", "--workers", "0", "--queue", "{img}")
	s := d.wait("the header to count the masters", "cluster 3 masters")
	t.Logf("header:\n%s", firstLines(s, 3))
	d.quit()
}

func needTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
}

// dash is the real dashboard in a tmux session of its own, 120×36.
type dash struct {
	t    *testing.T
	sock string
}

// startDash runs the dashboard with REDIS_URL=url: in the environment, as an
// operator's would be, not on the command line where ps shows it.
func startDash(t *testing.T, url string, args ...string) *dash {
	t.Helper()
	dir := t.TempDir()
	d := &dash{t: t, sock: "imgq-dash-" + filepath.Base(dir)}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", d.sock, "kill-server").Run() })
	cmd := fmt.Sprintf("exec env REDIS_URL='%s' %s %s", url, binary, strings.Join(args, " "))
	d.tmux("-f", "/dev/null", "new-session", "-d", "-s", "d", "-x", "120", "-y", "36", "-c", dir, cmd)
	return d
}

func (d *dash) tmux(args ...string) string {
	d.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", d.sock}, args...)...).CombinedOutput()
	if err != nil {
		d.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// wait polls the screen until it shows every string of want, and returns it.
func (d *dash) wait(what string, want ...string) string {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := d.tmux("capture-pane", "-t", "d", "-p")
		if containsAll(s, want...) {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s (%q) on the screen:\n%s", what, want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *dash) quit() {
	d.t.Helper()
	d.tmux("send-keys", "-t", "d", "q")
	eventuallyFor(d.t, 20*time.Second, "the dashboard to quit", func() bool {
		return exec.Command("tmux", "-L", d.sock, "has-session", "-t", "d").Run() != nil
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
