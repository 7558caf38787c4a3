package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The JSON shapes of `imgq bench queue --json` this program reads.
type throughputResult struct {
	Tasks       int     `json:"tasks"`
	Workers     int     `json:"workers"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	RedisCPU    float64 `json:"redis_cpu_cores,omitempty"`
	ClientCPU   float64 `json:"client_cpu_cores,omitempty"`
	// CPU time per task (steadier than tasks/s on a shared machine).
	RedisUSPerTask  float64 `json:"redis_cpu_us_per_task,omitempty"`
	ClientUSPerTask float64 `json:"client_cpu_us_per_task,omitempty"`
}

type latencyResult struct {
	Samples int     `json:"samples"`
	P50MS   float64 `json:"p50_ms"`
	P90MS   float64 `json:"p90_ms"`
	P99MS   float64 `json:"p99_ms"`
	MaxMS   float64 `json:"max_ms"`
}

type imgqQueueReport struct {
	Throughput []throughputResult `json:"throughput"`
	Pickup     latencyResult      `json:"pickup"`
}

type machine struct {
	CPUs         int    `json:"cpus"`
	CPUModel     string `json:"cpu_model"`
	RedisVersion string `json:"redis_version"`
	GoVersion    string `json:"go_version"`
	Date         string `json:"date"`
}

// buildImgq builds the imgq command of the parent module into a temporary folder.
func buildImgq(ctx context.Context) (string, func(), error) {
	root, err := imgqRoot()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "queuebench-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "imgq")
	fmt.Fprintf(os.Stderr, "queuebench: building imgq from %s\n", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build imgq: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// imgqRoot finds the imgq module above the working directory.
func imgqRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/imgq/imgq\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run queuebench from inside the imgq repository (cd bench)")
		}
		dir = parent
	}
}

// runImgq runs `imgq --redis URL bench queue --json ARGS` and decodes its report.
func runImgq(ctx context.Context, bin, url string, into *imgqQueueReport, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--redis", url, "--queue", "qbench", "bench", "queue", "--json"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	return json.Unmarshal(out.Bytes(), into)
}

func describeMachine(ctx context.Context, c *redis.Client) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if info, err := c.Info(ctx, "server").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				m.RedisVersion = v
			}
		}
	}
	return m
}

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func msf(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

func summarize(ds []time.Duration) latencyResult {
	return latencyResult{Samples: len(ds), P50MS: msf(percentile(ds, .5)), P90MS: msf(percentile(ds, .9)),
		P99MS: msf(percentile(ds, .99)), MaxMS: msf(percentile(ds, 1))}
}

func median(xs []float64) float64 {
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

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func procCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("bad /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil
}

// progress is a one-line bar on stderr.
type progress struct {
	w     io.Writer
	label string
	total int64
	last  time.Time
}

func newProgress(w io.Writer, label string, total int64) *progress {
	return &progress{w: w, label: label, total: total}
}

func (p *progress) Set(n int64) {
	if time.Since(p.last) < 100*time.Millisecond && n < p.total {
		return
	}
	p.last = time.Now()
	frac := math.Min(float64(n)/math.Max(float64(p.total), 1), 1)
	fill := int(frac * 30)
	fmt.Fprintf(p.w, "\r%-28s [%s%s] %3.0f%% %d/%d", p.label, strings.Repeat("█", fill), strings.Repeat("░", 30-fill), frac*100, n, p.total)
}

func (p *progress) Done() { p.last = time.Time{}; p.Set(p.total); fmt.Fprintln(p.w) }
