package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/internal/redistest"
)

// sentinelMaster is the master name the test's Sentinels monitor, and
// sentinelPassword the data nodes' requirepass (the URL's password).
const (
	sentinelMaster   = "imgq"
	sentinelPassword = "failover-s3cret"
)

// needSentinel skips the test when redis-sentinel is missing, unless
// IMGQ_REQUIRE_SENTINEL is set (CI sets it: there a missing binary fails).
func needSentinel(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-sentinel"); err != nil {
		if os.Getenv("IMGQ_REQUIRE_SENTINEL") == "" {
			t.Skip("redis-sentinel not installed (Debian/Ubuntu: apt-get install redis-sentinel); set IMGQ_REQUIRE_SENTINEL=1 to fail instead of skipping")
		}
		t.Fatalf("redis-sentinel not found and IMGQ_REQUIRE_SENTINEL is set: %v", err)
	}
}

// sentinelSet is a primary, its replica and three Sentinels watching them
// (quorum 2), all on loopback and all stopped when the test ends.
type sentinelSet struct {
	primary, replica *redistest.Server
	ports            []int // the Sentinels'
}

// URL is the redis+sentinel:// URL of the set's master.
func (s *sentinelSet) URL() string {
	hosts := make([]string, len(s.ports))
	for i, p := range s.ports {
		hosts[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	return "redis+sentinel://:" + sentinelPassword + "@" + strings.Join(hosts, ",") + "/" + sentinelMaster
}

// startSentinelSet starts the set and waits until every Sentinel sees the
// replica and the two other Sentinels: before that, a failover cannot happen.
func startSentinelSet(t *testing.T) *sentinelSet {
	t.Helper()
	needSentinel(t)
	// No diskless-sync delay: the replica syncs at once instead of after 5s.
	// Both nodes take the password from replicas, as either may be master.
	args := []string{"--repl-diskless-sync-delay", "0", "--masterauth", sentinelPassword}
	s := &sentinelSet{primary: redistest.Start(t, redistest.Options{Password: sentinelPassword, Args: args})}
	s.replica = redistest.Start(t, redistest.Options{Password: sentinelPassword,
		Args: append(args, "--replicaof", "127.0.0.1", strconv.Itoa(s.primary.Port))})
	for range 3 {
		s.ports = append(s.ports, startSentinel(t, s.primary.Port))
	}
	ctx := context.Background()
	eventuallyFor(t, 30*time.Second, "the Sentinels to find the replica and one another", func() bool {
		for _, p := range s.ports {
			sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p)})
			m, err := sc.Master(ctx, sentinelMaster).Result()
			_ = sc.Close()
			if err != nil || m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return false
			}
		}
		info := s.replica.Client(t).Info(ctx, "replication").Val()
		return strings.Contains(info, "master_link_status:up")
	})
	return s
}

// startSentinel runs one redis-sentinel monitoring the primary at port, with
// failure detection in one second, and returns its port.
func startSentinel(t *testing.T, primaryPort int) int {
	t.Helper()
	dir := t.TempDir()
	port := redistest.FreePort(t)
	conf := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %s
logfile %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 5000
sentinel parallel-syncs %s 1
sentinel auth-pass %s %s
`, port, dir, filepath.Join(dir, "sentinel.log"), sentinelMaster, primaryPort, sentinelMaster, sentinelMaster, sentinelMaster,
		sentinelMaster, sentinelPassword)
	// Sentinel rewrites its config file (what it learned): it must be its own.
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-sentinel", path)
	if err := proc.Start(cmd); err != nil {
		t.Fatalf("start redis-sentinel: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = proc.KillGroup(cmd)
		<-done
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Logf("sentinel :%d log:\n%s", port, b)
		}
	})
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	eventuallyFor(t, 10*time.Second, "redis-sentinel to answer", func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
	return port
}

// eventuallyFor polls cond every 20ms until it holds, failing the test with
// what after d.
func eventuallyFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runsPerTask counts the "task completed" lines of `imgq worker -v` output per
// task id: a task whose handler completed twice ran twice.
func runsPerTask(outputs ...string) map[string]int {
	runs := map[string]int{}
	for _, out := range outputs {
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, `msg="task completed"`) {
				continue
			}
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "task="); ok {
					runs[id]++
				}
			}
		}
	}
	return runs
}

// warnings counts the WARN lines of worker output by message: what the
// workers went through during the failover, for the test's log.
func warnings(outputs ...string) map[string]int {
	n := map[string]int{}
	for _, out := range outputs {
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, "level=WARN") {
				continue
			}
			_, msg, _ := strings.Cut(line, "msg=")
			if strings.HasPrefix(msg, `"`) {
				msg, _, _ = strings.Cut(msg[1:], `"`)
			} else {
				msg, _, _ = strings.Cut(msg, " ")
			}
			n[msg]++
		}
	}
	return n
}
