package failed

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

var sizes = [][2]int{{80, 24}, {120, 36}, {200, 50}}

// The dead letters at the three sizes, the selection moved down one: errors
// are cut between words, never inside one.
func TestFailedGolden(t *testing.T) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			c := common.New(context.Background(), "en")
			c.Now, c.Loc = func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }, time.UTC
			m := New(c)
			m.SetSize(s[0], s[1]-2)
			var ts []queue.TaskInfo
			for i := range 40 {
				ts = append(ts, queue.TaskInfo{ID: fmt.Sprintf("task-%08x", 0x5e6f7a00+i), Name: fmt.Sprintf("image_%04d.jpg", i),
					Attempts: 3, MaxAttempts: 3, Error: "injected failure (failure injection is on: 20% of tasks fail on purpose)"})
			}
			m.SetTasks(ts, 52, nil)
			m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
			if got := m.Selected(); got != "task-5e6f7a01" {
				t.Fatalf("selected %q after j", got)
			}
			m, _ = m.Update(tea.KeyPressMsg{Code: 'G', Text: "G"})
			if got := m.Selected(); got != "task-5e6f7a27" {
				t.Fatalf("selected %q after G, want the last", got)
			}
			golden.RequireEqual(t, []byte(ansi.Strip(m.View())))
		})
	}
}
