// Package benchkit holds what every imgq benchmark shares: a progress bar,
// percentiles and medians, a description of the machine, and CPU, memory and
// Redis command accounting read from Linux /proc and INFO. Used by `imgq bench`
// and by the nested bench module's queuebench.
package benchkit

import (
	"context"
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
	"time"

	"github.com/redis/go-redis/v9"
)

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

// MS gives a duration in milliseconds with 3 decimals.
func MS(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

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
	m := LocalMachine()
	if info, err := c.Info(ctx, "server").Result(); err == nil {
		m.RedisVersion = InfoField(info, "redis_version")
	}
	return m
}

// LocalMachine describes this machine (no Redis involved).
func LocalMachine() Machine {
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

// InfoField returns one field of an INFO reply ("" when absent).
func InfoField(info, name string) string {
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
