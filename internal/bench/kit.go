package bench

// What every imgq benchmark shares: a progress bar, percentiles and medians, a
// description of the machine, and CPU, memory and Redis command accounting read
// from the system (internal/proc: what a system cannot tell is an error naming
// it) and INFO. The exported part is what the nested bench module's queuebench
// uses too.

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
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

// DescribeMachine describes this machine and reads the server's INFO.
func DescribeMachine(ctx context.Context, c redis.UniversalClient) Machine {
	m := localMachine()
	if info, err := c.Info(ctx, "server").Result(); err == nil {
		m.RedisVersion = infoField(info, "redis_version")
	}
	return m
}

// localMachine describes this machine (no Redis involved).
func localMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), CPUModel: proc.CPUModel(), GoVersion: runtime.Version(),
		Date: time.Now().UTC().Format(time.RFC3339)}
}

// infoField returns one field of an INFO reply ("" when absent).
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// commandCalls returns INFO commandstats as command -> calls. Commands run inside
// Lua scripts are counted too, so a delta is the true number of commands Redis ran.
func commandCalls(ctx context.Context, c redis.UniversalClient) (map[string]int64, error) {
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

// commandDelta is after-before, dropping the INFO calls that took the readings.
func commandDelta(before, after map[string]int64) (total int64, per map[string]int64) {
	per = map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != "info" {
			per[k] = d
			total += d
		}
	}
	return total, per
}

// ProcCPU returns the user+system CPU time a process has used (an error
// wrapping errors.ErrUnsupported where the system cannot tell).
func ProcCPU(pid int) (time.Duration, error) { return proc.ProcessCPU(pid) }

// SelfCPU is the user+system CPU time this process has used (0 if unknown).
func SelfCPU() time.Duration {
	d, _ := proc.SelfCPU()
	return d
}

// procMemKB reads the resident memory of a process now and at its peak (Linux
// VmRSS and VmHWM), in KiB; an error wrapping errors.ErrUnsupported elsewhere.
func procMemKB(pid int) (rss, hwm int64, err error) { return proc.ProcessMemory(pid) }
