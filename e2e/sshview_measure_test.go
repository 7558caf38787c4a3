package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/internal/sshview/sshviewtest"
	"github.com/imgq/imgq/queue"
)

// TestMeasureSSHViewers logs what SSH viewers cost: the dashboard process's
// CPU (/proc/PID/stat) and the Redis commands per second (INFO commandstats
// deltas) with 0, 1 and 30 viewers, while a producer enqueues 10 tasks a
// second (so the queue and the events move). A measurement, not an
// assertion; it runs only when asked:
//
//	IMGQ_MEASURE_SSH=1 go test ./e2e/ -run TestMeasureSSHViewers -v
func TestMeasureSSHViewers(t *testing.T) {
	if os.Getenv("IMGQ_MEASURE_SSH") == "" {
		t.Skip("a measurement: set IMGQ_MEASURE_SSH=1")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	// The e2e binary is built with -race, which costs many times the CPU:
	// measure a plain build.
	bin := filepath.Join(t.TempDir(), "imgq")
	_, here, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Dir(filepath.Dir(here))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	q := newQueue(t, srv, "room")
	tc := startTeacher(t, bin, srv, "--workers", "0", "--queue", "room", "--interval", "250ms")
	pid := tc.pid()

	ctx, cancel := context.WithCancel(context.Background())
	var produced atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { produce10PerSecond(ctx, q, &produced) })
	defer func() { cancel(); wg.Wait() }()

	const window = 10 * time.Second
	var viewers []*sshviewtest.Viewer
	for _, n := range []int{0, 1, 30} {
		for len(viewers) < n {
			viewers = append(viewers, sshviewtest.Open(t, tc.addr, fmt.Sprintf("student%02d", len(viewers)), tc.password, "", 120, 36))
		}
		for _, v := range viewers {
			v.WaitFor("imgq room", "connected")
		}
		time.Sleep(2 * time.Second) // past the sessions' first full renders
		cpu0, cmd0, p0, t0 := cpuTicks(t, pid), commandCalls(t, rdb), produced.Load(), time.Now()
		time.Sleep(window)
		cpu1, cmd1, p1, el := cpuTicks(t, pid), commandCalls(t, rdb), produced.Load(), time.Since(t0).Seconds()
		total, parts := callsDelta(cmd0, cmd1)
		// clock ticks are 1/100 s on Linux (USER_HZ)
		t.Logf("%2d viewer(s): imgq CPU %.1f%% of one core; Redis %.1f commands/s (%.1f of them the producer's enqueues) [%s]",
			n, float64(cpu1-cpu0)/el, float64(total)/el, float64(p1-p0)/el, parts)
	}
	tc.quit()
}

// produce10PerSecond enqueues one task every 100 ms until ctx ends.
func produce10PerSecond(ctx context.Context, q *queue.Queue, n *atomic.Int64) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := q.EnqueueBatch(ctx, []queue.NewTask{{Name: fmt.Sprintf("m_%05d.jpg", i), Payload: []byte(`{}`)}}); err == nil {
			n.Add(1)
		}
	}
}

// cpuTicks is the process's user + system time in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): state is the
	// 3rd field, utime the 14th, stime the 15th.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// commandCalls is INFO commandstats: calls per command.
func commandCalls(t *testing.T, rdb *redis.Client) map[string]int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int64{}
	for _, l := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(l), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
		calls[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return calls
}

func callsDelta(a, b map[string]int64) (int64, string) {
	var total int64
	var parts []string
	for name, n := range b {
		if d := n - a[name]; d > 0 && name != "info" {
			total += d
			parts = append(parts, fmt.Sprintf("%s %d", name, d))
		}
	}
	sort.Strings(parts)
	return total, strings.Join(parts, ", ")
}
