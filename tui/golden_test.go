package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
)

// goldenSizes are the three terminals the dashboard is made for: a laptop's
// default, a projector's and a wide screen's.
var goldenSizes = [][2]int{{80, 24}, {120, 36}, {200, 50}}

// goldenTheme is one way of choosing a palette. The auto ones are the default
// on a terminal that answered with a dark or a light background; they must
// draw exactly what the forced theme (same) draws, so they keep no golden of
// their own.
type goldenTheme struct {
	name, theme string
	bg          tea.Msg // the terminal's answer to the background query
	same        string  // the forced theme auto must equal
}

var goldenThemes = []goldenTheme{
	{name: "dark", theme: "dark"},
	{name: "light", theme: "light"},
	{name: "contrast", theme: "contrast"},
	{name: "auto-on-dark", theme: "auto", bg: tea.BackgroundColorMsg{Color: lipgloss.Color("#101010")}, same: "dark"},
	{name: "auto-on-light", theme: "auto", bg: tea.BackgroundColorMsg{Color: lipgloss.Color("#F8F8F8")}, same: "light"},
}

// goldenView is one screen of the dashboard: how to reach it from a fresh
// fixture, and what it must show whatever the size and theme.
type goldenView struct {
	name  string
	open  func(t *testing.T, w, h int, opts Options) *Model
	shows []string // on the screen, without styles, at every size
	lacks []string // never on it
}

const joinLine = "imgq worker --redis redis://:pw@192.168.1.20:6379 --id YOUR-NAME"

var goldenViews = []goldenView{
	{name: "main", open: func(t *testing.T, w, h int, opts Options) *Model {
		opts.Workers = &fakePool{n: 3}
		m, _ := fixture(t, w, h, 3, opts)
		return m
	}, shows: []string{"Queues", "Workers", "Events", "w-1", "task-1a2b"}},
	{name: "failed", open: openFailed, shows: []string{"dog.jpg", "corrupt.jpg"}},
	{name: "detail", open: openDetail, shows: []string{"task-1a2b3c4d00000001", "cat.jpg", "payload"}},
	{name: "help", open: func(t *testing.T, w, h int, opts Options) *Model {
		m, _ := fixture(t, w, h, 3, opts)
		press(m, "?")
		return m
	}, shows: []string{"enqueue 15", "MONITOR"}},
	{name: "join", open: func(t *testing.T, w, h int, opts Options) *Model {
		opts.JoinLine = joinLine
		m, _ := fixture(t, w, h, 3, opts)
		press(m, "i")
		return m
	}, shows: []string{"Join the queue"}},
	{name: "monitor", open: openMonitor, shows: []string{"BLMOVE", "LMOVE", "HSET", "image_processing:pending"}, lacks: []string{"LLEN"}},
	{name: "leaderboard", open: func(t *testing.T, w, h int, opts Options) *Model {
		m, _ := fixture(t, w, h, 32, opts)
		press(m, "l")
		return m
	}, shows: []string{"Leaderboard", "diego-16"}},
	{name: "viewer", open: func(t *testing.T, w, h int, opts Options) *Model {
		opts.ReadOnly, opts.JoinLine = true, joinLine
		m, _ := fixture(t, w, h, 3, opts)
		return m
	}, shows: []string{"Queues", "Workers", "Events"}},
	{name: "clash", open: openClash, shows: []string{"▲ wrong key type"}, lacks: []string{"disconnected"}},
	{name: "spanish", open: func(t *testing.T, w, h int, opts Options) *Model {
		opts.Lang, opts.Workers = "es", &fakePool{n: 3}
		m, _ := fixture(t, w, h, 3, opts)
		return m
	}, shows: []string{"Colas", "Eventos", "pendientes", "completadas", "conectado", "recuperada de w-2", "09:59:38 fallida "}},
}

func openFailed(t *testing.T, w, h int, opts Options) *Model {
	m, _ := fixture(t, w, h, 3, opts)
	press(m, "F")
	m.Update(failedListMsg{tasks: []queue.TaskInfo{
		{ID: "task-5e6f7a8b00000002", Name: "dog.jpg", Status: queue.StatusFailed, Attempts: 3, MaxAttempts: 3, Error: "image: unknown format"},
		{ID: "task-77aa88bb00000004", Name: "corrupt.jpg", Status: queue.StatusFailed, Attempts: 1, MaxAttempts: 3, Error: "permanent: unexpected EOF"},
	}})
	return m
}

func openDetail(t *testing.T, w, h int, opts Options) *Model {
	m, _ := fixture(t, w, h, 3, opts)
	m.openDetail("task-1a2b")
	m.Update(taskMsg{task: queue.TaskInfo{
		ID: "task-1a2b3c4d00000001", Name: "cat.jpg", Priority: queue.Normal, Status: queue.StatusCompleted,
		Payload:  []byte(`{"image_path":"images/cat.jpg","filters":["brightness:1.8","blur:2","grayscale"]}`),
		Attempts: 1, MaxAttempts: 3, Worker: "w-1", Result: []byte(`{"output":"output/cat.jpg","ms":212}`),
		CreatedAt: t0.Add(-40 * 1e9), StartedAt: t0.Add(-39 * 1e9), FinishedAt: t0.Add(-38 * 1e9),
		Fields: map[string]string{"lease_token": "7"},
	}})
	return m
}

func openMonitor(t *testing.T, w, h int, opts Options) *Model {
	m, _ := fixture(t, w, h, 3, opts)
	m.mon.on, m.mon.gen = true, 1
	m.events.SetMonitor(true, "")
	m.Update(monitorLinesMsg{gen: 1, lines: []string{
		`1795687170.123456 [0 127.0.0.1:50001] "blmove" "image_processing:signal" "image_processing:signal" "LEFT" "RIGHT" "1"`,
		`1795687170.223456 [0 127.0.0.1:50002] "evalsha" "9f2c0d" "7" "image_processing:pending:high" "w-1" "1"`,
		`1795687170.223500 [0 lua] "LMOVE" "image_processing:pending" "image_processing:processing" "LEFT" "RIGHT"`,
		`1795687170.323456 [0 127.0.0.1:50003] "evalsha" "abc" "11" "image_processing:pending:high" "image_processing:config" "image_processing:worker:" "image_processing:workers:gone" "image_processing:task:"`,
		`1795687170.323500 [0 lua] "LLEN" "image_processing:pending:high"`,
		`1795687170.423456 [0 127.0.0.1:50004] "hset" "image_processing:config" "fail_rate" "0.2"`,
	}})
	return m
}

// openClash is the screen of a queue whose key has the wrong type; the error
// carries an escape sequence that must not reach the screen.
func openClash(t *testing.T, w, h int, opts Options) *Model {
	clash := &queue.LayoutError{Queue: "image_processing", Clashes: []queue.KeyClash{{
		Key: "image_processing:processing", Got: "list", Want: "hash", What: "the course's task id -> worker id\x1b[2J",
	}}}
	m, clk := fixture(t, w, h, 3, opts)
	clk.t = clk.t.Add(1e9)
	m.Update(statsMsg{err: fmt.Errorf("stats: %w", clash)})
	return m
}

// TestViewGoldens keeps every screen of the dashboard at the three sizes: one
// golden without styles per view and size (a diff reads like the screen), and
// one with styles per theme (a change of colour is a reviewed change). Every
// theme draws the same text in the same place; auto draws what the theme of
// the terminal's background draws, even when the answer comes after the
// screen was opened. Regenerate with go test ./tui/ -run TestViewGoldens -update.
func TestViewGoldens(t *testing.T) {
	for _, v := range goldenViews {
		t.Run(v.name, func(t *testing.T) {
			for _, sz := range goldenSizes {
				t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
					checkGoldenView(t, v, sz[0], sz[1])
				})
			}
		})
	}
}

func checkGoldenView(t *testing.T, v goldenView, w, h int) {
	styled := map[string]string{}
	for _, th := range goldenThemes {
		m := v.open(t, w, h, Options{Theme: th.theme})
		if th.bg != nil {
			m.Update(th.bg)
		}
		checkSize(t, m, w, h)
		styled[th.name] = m.View().Content
	}
	text := ansi.Strip(styled["dark"])
	requireContains(t, text, v.shows...)
	for _, s := range v.lacks {
		if strings.Contains(text, s) {
			t.Fatalf("screen shows %q:\n%s", s, text)
		}
	}
	// The footer's hints are whole: what does not fit is left out as " …".
	lines := strings.Split(text, "\n")
	if foot := lines[len(lines)-1]; regexp.MustCompile(`\S…`).MatchString(foot) {
		t.Fatalf("a key hint is cut: %q", foot)
	}
	if strings.Contains(styled["dark"], "\x1b[2J") {
		t.Fatal("an escape from Redis reached the screen")
	}
	golden.RequireEqual(t, []byte(text))
	for _, th := range goldenThemes {
		t.Run(th.name, func(t *testing.T) {
			if got := ansi.Strip(styled[th.name]); got != text {
				t.Fatalf("theme %s moves the text:\n%s", th.name, got)
			}
			if th.same != "" {
				if styled[th.name] != styled[th.same] {
					t.Fatalf("%s does not draw the %s theme", th.name, th.same)
				}
				return
			}
			golden.RequireEqual(t, []byte(styled[th.name]))
		})
	}
}
