package cli

// `imgq bench ...`: reproducible measurements of the queue and the dashboard's
// data path. Each command starts its own redis-server on a free loopback port
// (never the machine's 6379) unless --redis names one, prints a progress bar on
// stderr, a summary table on stdout, and JSON with --json. See docs/BENCHMARKS.md.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/redisserver"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the queue and the dashboard (each starts its own redis-server unless --redis is given)",
		Long: `Benchmarks that anyone can rerun; see docs/BENCHMARKS.md. Each starts a private
redis-server on a free loopback port and stops it afterwards. Only an explicit
--redis URL points a benchmark at another server ($REDIS_URL is ignored here, so a
shared server is never loaded by accident); even then it only touches its own
queue names (<queue>-bench...).`,
		Args: cobra.NoArgs,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flag("redis"); f == nil || !f.Changed {
				g.redisURL = ""
			}
		},
	}
	cmd.AddCommand(newBenchQueueCmd(g), newBenchDashCmd(g), newBenchMemoryCmd(g))
	cmd.AddCommand(newBenchImagesCmd(g))
	return cmd
}

// benchRedis returns a client on --redis, or on a private server it starts.
// The returned stop closes both.
func (g *globals) benchRedis(ctx context.Context, poolSize int) (*redis.Client, string, func(), error) {
	url := g.redisURL
	var srv *redisserver.Server
	if url == "" || url == "embedded" {
		var err error
		srv, err = redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return nil, "", nil, err
		}
		url = srv.URL()
		fmt.Fprintf(g.errOut, "bench: started redis-server at %s\n", srv.Addr())
	}
	opt, err := redisconn.ParseURL(url) // its errors never carry the password
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, "", nil, usageError{err}
	}
	opt.PoolSize = max(poolSize, opt.PoolSize)
	c := redis.NewClient(opt)
	stop := func() {
		c.Close()
		if srv != nil {
			srv.Close()
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		stop()
		return nil, "", nil, fmt.Errorf("ping %s: %w", opt.Addr, err)
	}
	return c, url, stop, nil
}

// Progress draws a one-line bar on w (stderr), at most ten times a second.
type Progress struct {
	w     io.Writer
	label string
	total int64
	last  time.Time
	drawn int64
	mu    sync.Mutex
	quiet bool
}

// NewProgress starts a bar; a nil writer draws nothing.
func NewProgress(w io.Writer, label string, total int64) *Progress {
	return &Progress{w: w, label: label, total: total, quiet: w == nil}
}

// Set draws the bar at n of total.
func (p *Progress) Set(n int64) {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if (time.Since(p.last) < 100*time.Millisecond && n < p.total) || (n == p.drawn && !p.last.IsZero()) {
		return
	}
	p.drawn = n
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = math.Min(float64(n)/float64(p.total), 1)
	}
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r%-28s [%s%s] %3.0f%% %d/%d", p.label, strings.Repeat("█", fill), strings.Repeat("░", width-fill), frac*100, n, p.total)
}

// Done finishes the bar's line.
func (p *Progress) Done() {
	if p == nil || p.quiet {
		return
	}
	p.Set(p.total)
	fmt.Fprintln(p.w)
}

// Percentile returns the q-quantile (0..1) of ds by nearest rank.
func Percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Median of xs (0 for none).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// msf prints a duration in milliseconds with 3 decimals.
func msf(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

// Machine describes where a benchmark ran.
type Machine struct {
	CPUs         int    `json:"cpus"`
	CPUModel     string `json:"cpu_model"`
	RedisVersion string `json:"redis_version"`
	GoVersion    string `json:"go_version"`
	Date         string `json:"date"`
}

// DescribeMachine reads /proc/cpuinfo and the server's INFO.
func DescribeMachine(ctx context.Context, c redis.UniversalClient) Machine {
	m := localMachine()
	if info, err := c.Info(ctx, "server").Result(); err == nil {
		m.RedisVersion = infoField(info, "redis_version")
	}
	return m
}

// localMachine describes this machine (no Redis involved).
func localMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return m
}

func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// CommandCalls returns INFO commandstats as command -> calls. Commands run inside
// Lua scripts are counted too, so a delta is the true number of commands Redis ran.
func CommandCalls(ctx context.Context, c redis.UniversalClient) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		name, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return out, nil
}

// CommandDelta is after-before, dropping the INFO calls that took the readings.
func CommandDelta(before, after map[string]int64) (total int64, per map[string]int64) {
	per = map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "info" {
			per[k] = d
			total += d
		}
	}
	return total, per
}

// ProcCPU returns the user+system CPU time a process has used (Linux /proc).
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("bad /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// SelfCPU is the user+system CPU time this process has used (getrusage, µs resolution).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcMemKB reads VmRSS and VmHWM (peak RSS) of a process, in KiB.
func ProcMemKB(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return rss, hwm, nil
}

// table prints rows with aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
