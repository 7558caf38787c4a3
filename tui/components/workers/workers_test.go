package workers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

var sizes = [][2]int{{80, 24}, {120, 36}, {200, 50}}

// class is a mixed class: imgq workers with short and 24-character ids, one
// with two slots between a finished task and its next heartbeat, one idle, one
// course worker (observed).
func class(at time.Time, i int) queue.Stats {
	n := int64(i)
	ws := []queue.WorkerStat{
		{ID: "w-1", Host: "vm", PID: 17422, State: queue.WorkerBusy, Processed: 4 * n, Failed: 2, Retried: 1, Dead: 1,
			Busy: time.Duration(4*n+2) * 150 * time.Millisecond, Active: 1, Current: "task-33b9abca0000ffff", CurrentName: "image_9653.jpg", CurrentFor: 273 * time.Millisecond},
		{ID: "remote-bar-worker", Host: "laptop-7", PID: 4242, State: queue.WorkerBusy, Processed: 3 * n,
			Busy: time.Duration(3*n) * 200 * time.Millisecond, Active: 1, Current: "task-9b05ae6a0000ffff", CurrentName: "sunset.jpg", CurrentFor: 1200 * time.Millisecond},
		{ID: "maria-jose-de-la-fuente1", Host: "aula-12", PID: 5120, Concurrency: 2, State: queue.WorkerBusy, Processed: 2 * n, Failed: 3, Retried: 3,
			Busy: time.Duration(2*n+3) * 300 * time.Millisecond, Active: 2},
		{ID: "w-2", Host: "vm", PID: 17422, State: queue.WorkerIdle, Processed: n},
		{ID: "py-4242", State: queue.WorkerBusy, Observed: true, Processed: n, Failed: 1, Dead: 1,
			Busy: time.Duration(n+1) * 400 * time.Millisecond, Active: 1, Current: "task-c0ffee0000000007", CurrentName: "beach.jpg", CurrentFor: 900 * time.Millisecond},
	}
	for j := range ws {
		ws[j].StartedAt, ws[j].LastSeen = t0.Add(-10*time.Minute+time.Duration(j)*time.Second), at
	}
	return queue.Stats{At: at, Workers: ws}
}

func pane(t *testing.T, w, h int) Model {
	t.Helper()
	c := common.New(context.Background(), "en")
	c.Now, c.Loc = func() time.Time { return t0 }, time.UTC
	tr := metrics.New()
	for i := 0; i <= 12; i++ {
		tr.Observe(class(t0.Add(-time.Minute+time.Duration(i)*5*time.Second), i))
	}
	m := New(c, tr)
	m.Refresh()
	m.SetSize(w, h)
	return m
}

// Every busy worker names its task and for how long (or, between a finished
// task and its next heartbeat, how many it holds); ids up to 24 characters are
// whole from 120 columns; done, dead and retried are their own columns.
func TestWorkersGolden(t *testing.T) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			m := pane(t, s[0], s[1]/3)
			out := ansi.Strip(m.View())
			golden.RequireEqual(t, []byte(out))
		})
	}
}

func TestLongIDWholeAt120(t *testing.T) {
	m := pane(t, 120, 12)
	for _, id := range []string{"maria-jose-de-la-fuente1", "remote-bar-worker"} {
		if !containsWord(ansi.Strip(m.View()), id) {
			t.Errorf("%s is not shown whole at 120 columns:\n%s", id, ansi.Strip(m.View()))
		}
	}
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w && (i+len(w) == len(s) || s[i+len(w)] == ' ') {
			return true
		}
	}
	return false
}
