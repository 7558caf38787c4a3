package detail

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

var sizes = [][2]int{{80, 24}, {120, 36}, {200, 50}}

func record() queue.TaskInfo {
	return queue.TaskInfo{ID: "task-5e6f7a8b", Name: "image_0821.jpg", Status: queue.StatusRetry, Priority: queue.Normal,
		Attempts: 2, MaxAttempts: 3, Worker: "remote-bar-worker",
		CreatedAt: t0.Add(-5 * time.Second), StartedAt: t0.Add(-2 * time.Second),
		Error:   "injected failure (failure injection is on: 20% of tasks fail on purpose); the next attempt is due in 2s after the backoff",
		Payload: []byte(`{"image_path":"input/image_0821.jpg","output_path":"output/image_0821.jpg","filters":["brightness:1.8","blur:2","grayscale"]}`)}
}

// The whole record at the three sizes: a long error wraps between words.
func TestDetailGolden(t *testing.T) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			c := common.New(context.Background(), "en")
			c.Now, c.Loc = func() time.Time { return t0 }, time.UTC
			m := New(c)
			m.SetSize(s[0], s[1]-2)
			m.SetLoading("task-5e6f")
			m.SetTask(record(), nil)
			out := ansi.Strip(m.View())
			if !strings.Contains(out, "purpose);") {
				t.Errorf("the error is cut:\n%s", out)
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

// A record longer than the screen scrolls, and not past its end.
func TestDetailScrolls(t *testing.T) {
	c := common.New(context.Background(), "en")
	c.Now, c.Loc = func() time.Time { return t0 }, time.UTC
	m := New(c)
	m.SetSize(80, 8)
	m.SetTask(record(), nil)
	first := ansi.Strip(m.View())
	for range 50 {
		m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
	}
	last := ansi.Strip(m.View())
	if first == last || !strings.Contains(last, "grayscale") {
		t.Fatalf("did not scroll to the end:\n%s", last)
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"})
	if ansi.Strip(m.View()) != first {
		t.Fatal("g did not go back to the top")
	}
}
