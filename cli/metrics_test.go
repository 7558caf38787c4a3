package cli

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `imgq worker --metrics ADDR` serves /metrics with the worker's tasks in it,
// until the worker stops; `imgq stats` shows the queue latency.
func TestWorkerServesMetrics(t *testing.T) {
	url, _ := queueWithOneTask(t)
	time.Sleep(10 * time.Millisecond)
	var sout, serr lockedBuf
	if code := Execute(context.Background(), []string{"stats", "--redis", url}, &sout, &serr); code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, serr.String())
	}
	if !regexp.MustCompile(`Latency  the oldest pending task has waited \d`).MatchString(sout.String()) {
		t.Errorf("stats lacks the queue latency:\n%s", sout.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuf
	done := make(chan int)
	go func() {
		done <- Execute(ctx, []string{"worker", "--redis", url, "--id", "mw", "--output", t.TempDir(), "--metrics", "127.0.0.1:0"}, &out, &errOut)
	}()
	addrRE := regexp.MustCompile(`metrics on (http://127\.0\.0\.1:\d+/metrics)`)
	// The queue's figures are read from Redis at most once a second: wait
	// for a scrape with them all.
	wants := []string{`imgq_task_duration_seconds_count{outcome="completed",queue="image_processing"} 1`,
		`imgq_worker_tasks_total{outcome="completed",queue="image_processing",worker="mw"} 1`,
		`imgq_task_pickup_latency_seconds_count{queue="image_processing"} 1`,
		`imgq_tasks_completed_total{queue="image_processing"} 1`,
		`imgq_queue_tasks{list="pending",queue="image_processing"} 0`}
	deadline := time.Now().Add(20 * time.Second)
	var body string
	for !containsAll(body, wants) {
		if time.Now().After(deadline) {
			t.Fatalf("the scrape lacks some of %q:\n%s\nstderr:\n%s", wants, body, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
		m := addrRE.FindStringSubmatch(errOut.String())
		if m == nil {
			continue
		}
		resp, err := http.Get(m[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("worker: exit %d\n%s", code, errOut.String())
	}
	addr := addrRE.FindStringSubmatch(errOut.String())[1]
	if resp, err := http.Get(addr); err == nil {
		resp.Body.Close()
		t.Fatalf("the metrics server still answers after the worker stopped")
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
