package events

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

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

var sizes = [][2]int{{80, 24}, {120, 36}, {200, 50}}

func testCommon() common.Common {
	c := common.New(context.Background(), "en")
	c.Now = func() time.Time { return t0 }
	c.Loc = time.UTC
	return c
}

// sample is one event of every kind, with the long details of a class: an
// injected failure's whole message, a student's long worker id.
func sample() []queue.Event {
	at := func(s int) time.Time { return t0.Add(time.Duration(s-30) * time.Second) }
	return []queue.Event{
		{Time: at(0), Kind: queue.EventWorkerUp, Worker: "remote-bar-worker", Name: "laptop-7 pid 4242"},
		{Time: at(1), Kind: queue.EventEnqueued, Task: "task-1a2b3c4d", Name: "cat.jpg"},
		{Time: at(2), Kind: queue.EventClaimed, Task: "task-1a2b3c4d", Name: "cat.jpg", Worker: "remote-bar-worker", Attempt: 1},
		{Time: at(3), Kind: queue.EventCompleted, Task: "task-1a2b3c4d", Name: "cat.jpg", Worker: "remote-bar-worker", Duration: 212 * time.Millisecond, Attempt: 1},
		{Time: at(4), Kind: queue.EventRetried, Task: "task-5e6f7a8b", Name: "image_0821.jpg", Worker: "w-2", Attempt: 2, Duration: 40 * time.Millisecond,
			Error: "injected failure (failure injection is on: 20% of tasks fail on purpose)"},
		{Time: at(5), Kind: queue.EventWorkerStop, Worker: "w-2", Name: "vm pid 17422"},
		{Time: at(6), Kind: queue.EventRecovered, Task: "task-9c0d1e2f", Name: "sunset.jpg", Prev: "w-3", Error: "lease expired"},
		{Time: at(7), Kind: queue.EventClaimed, Task: "task-9c0d1e2f", Name: "sunset.jpg", Worker: "py-4242", Observed: true},
		{Time: at(8), Kind: queue.EventFailed, Task: "task-5e6f7a8b", Name: "image_0821.jpg", Worker: "w-1", Attempt: 3, Duration: 35 * time.Millisecond,
			Error: "image: unknown format (the file starts with bytes no decoder knows)"},
		{Time: at(9), Kind: queue.EventLeaseRefused, Task: "task-77aa88bb", Worker: "w-1", Error: "task is held by w-3 at attempt 2"},
		{Time: at(10), Kind: queue.EventFlushed, Count: 42},
	}
}

func pane(w, h int) Model {
	m := New(testCommon(), "t:")
	m.SetSize(w, h)
	m.Add(sample())
	return m
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		default:
			msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
		}
		m, _ = m.Update(msg)
	}
	return m
}

// Every kind of event in the same columns, at the three sizes, following (no
// cursor: the pane is not focused).
func TestEventsGolden(t *testing.T) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			m := pane(s[0], s[1]/2)
			golden.RequireEqual(t, []byte(ansi.Strip(m.View())))
		})
	}
}

// The selected event shows its whole detail, wrapped between words, under its
// row; enter asks for its task's detail.
func TestEventsSelectedShowsWholeDetail(t *testing.T) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(t *testing.T) {
			m := pane(s[0], s[1]/2)
			m.SetFocused(true)
			m = press(m, "k", "k", "k", "k", "k", "k") // up to the retried event
			golden.RequireEqual(t, []byte(ansi.Strip(m.View())))
			e, ok := m.Selected()
			if !ok || e.Kind != queue.EventRetried {
				t.Fatalf("selected %+v", e)
			}
			_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
			if cmd == nil {
				t.Fatal("enter sent nothing")
			}
			if msg, ok := cmd().(common.OpenTaskMsg); !ok || msg.ID != "task-5e6f7a8b" {
				t.Fatalf("enter sent %#v", cmd())
			}
		})
	}
}

// No detail is cut inside a word without the … that says it goes on.
func TestCutWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"injected failure (failure injection)", 20, "injected failure…"},
		{"short", 10, "short"},
		{"worker_stopped", 8, "worker_…"},
		{"a b", 0, ""},
	} {
		if got := common.CutWords(c.in, c.w); got != c.want {
			t.Errorf("CutWords(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}
