package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"time"

	"github.com/imgq/imgq/bench/internal/imgqbin"
	"github.com/imgq/imgq/internal/bench"
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
	// Server is imgq's INFO commandstats reading (bench.ServerCost): the time
	// its scripts took per task, and the commands they ran. Empty for asynq.
	Server struct {
		ScriptUSPerTask float64 `json:"script_us_per_task"`
		CommandsPerTask float64 `json:"commands_per_task"`
	} `json:"server"`
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

// buildImgq builds the imgq command of the parent module into a temporary folder.
func buildImgq(ctx context.Context) (string, func(), error) {
	return imgqbin.Build(ctx, "", os.Stderr)
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

func summarize(ds []time.Duration) latencyResult {
	return latencyResult{Samples: len(ds), P50MS: bench.MS(bench.Percentile(ds, .5)), P90MS: bench.MS(bench.Percentile(ds, .9)),
		P99MS: bench.MS(bench.Percentile(ds, .99)), MaxMS: bench.MS(bench.Percentile(ds, 1))}
}
