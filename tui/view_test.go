package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
)

// Goldens hold the screen without styles so a diff reads like the screen; the
// colours are checked by TestViewColoursGolden.

func checkSize(t *testing.T, m *Model, w, h int) {
	t.Helper()
	lines := strings.Split(m.View().Content, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Fatalf("line %d is %d wide, want %d: %q", i, lw, w, ansi.Strip(l))
		}
	}
}

func TestView80x24(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{Workers: &fakePool{n: 3}})
	checkSize(t, m, 80, 24)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestView120x36(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{Workers: &fakePool{n: 3}})
	checkSize(t, m, 120, 36)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestView200x50(t *testing.T) {
	m, _ := fixture(t, 200, 50, 3, Options{Workers: &fakePool{n: 3}})
	checkSize(t, m, 200, 50)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestViewClassroom30Workers120x36(t *testing.T) {
	m, _ := fixture(t, 120, 36, 32, Options{JoinLine: "imgq worker --redis redis://:s3cret@192.168.1.20:6379 --id YOUR-NAME"})
	checkSize(t, m, 120, 36)
	s := screen(m)
	// Every worker is on screen at once: no paging needed at 120×36.
	for _, w := range m.track.Last.Workers {
		requireContains(t, s, w.ID)
	}
	golden.RequireEqual(t, []byte(s))
}

func TestViewClassroomLeaderboard(t *testing.T) {
	m, _ := fixture(t, 120, 36, 32, Options{})
	press(m, "l")
	checkSize(t, m, 120, 36)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestViewClassroom80x24Pages(t *testing.T) {
	m, _ := fixture(t, 80, 24, 32, Options{})
	checkSize(t, m, 80, 24)
	s := screen(m)
	requireContains(t, s, "1–")
	press(m, "pgdown")
	if s2 := screen(m); s2 == s {
		t.Fatal("pgdown on the focused workers pane did not page")
	}
	golden.RequireEqual(t, []byte(s))
}

func TestViewSpanish(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{Lang: "es", Workers: &fakePool{n: 3}})
	s := screen(m)
	requireContains(t, s, "Colas", "Eventos", "pendientes", "completadas", "conectado", "recuperada de w-2")
	golden.RequireEqual(t, []byte(s))
}

func TestViewHelp(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	press(m, "?")
	checkSize(t, m, 80, 24)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestViewFailed(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{})
	press(m, "F")
	m.Update(failedListMsg{tasks: []queue.TaskInfo{
		{ID: "task-5e6f7a8b00000002", Name: "dog.jpg", Status: queue.StatusFailed, Attempts: 3, MaxAttempts: 3, Error: "image: unknown format"},
		{ID: "task-77aa88bb00000004", Name: "corrupt.jpg", Status: queue.StatusFailed, Attempts: 1, MaxAttempts: 3, Error: "permanent: unexpected EOF"},
	}})
	checkSize(t, m, 120, 36)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestViewDetail(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	m.openDetail("task-1a2b")
	m.Update(taskMsg{task: queue.TaskInfo{
		ID: "task-1a2b3c4d00000001", Name: "cat.jpg", Priority: queue.Normal, Status: queue.StatusCompleted,
		Payload:  []byte(`{"image_path":"images/cat.jpg","filters":["brightness:1.8","blur:2","grayscale"]}`),
		Attempts: 1, MaxAttempts: 3, Worker: "w-1", Result: []byte(`{"output":"output/cat.jpg","ms":212}`),
		CreatedAt: t0.Add(-40 * 1e9), StartedAt: t0.Add(-39 * 1e9), FinishedAt: t0.Add(-38 * 1e9),
		Fields: map[string]string{"lease_token": "7"},
	}})
	checkSize(t, m, 80, 24)
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestViewMonitor(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{})
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
	s := screen(m)
	requireContains(t, s, "BLMOVE", "LMOVE", "HSET")
	if strings.Contains(s, "LLEN") {
		t.Fatal("the dashboard's own stats read is shown although own reads are hidden")
	}
	golden.RequireEqual(t, []byte(s))
}

// TestViewColoursGolden keeps the styled screen too, so a change of colour is
// a reviewed change.
func TestViewColoursGolden(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{Workers: &fakePool{n: 3}})
	golden.RequireEqual(t, []byte(m.View().Content))
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// TestUntrustedTextIsSanitised puts escape sequences and controls in every
// field that comes from Redis and checks that the only escapes on screen are
// the dashboard's own colours.
func TestUntrustedTextIsSanitised(t *testing.T) {
	evil := "ev\x1b[2J\x1b]0;pwned\x07il\x9b31m\x1b[?1049l\r\n\x7f\u202e"
	m, clk := fixture(t, 120, 36, 3, Options{})
	s := sampleStats(clk.t.Add(5e9), 13, 3)
	for i := range s.Workers {
		s.Workers[i].ID += evil
		s.Workers[i].Host = evil
		s.Workers[i].CurrentName = evil
	}
	m.Update(statsMsg{stats: s})
	m.Update(eventsMsg{events: []queue.Event{{ID: "99", Time: t0, Kind: queue.EventFailed + evil, Task: "task-" + evil,
		Name: evil, Worker: evil, Prev: evil, Error: "boom" + evil}}})
	check := func(view string) {
		t.Helper()
		rest := sgr.ReplaceAllString(view, "")
		for i, r := range rest {
			if r == 0x1b || r == 0x07 || r == 0x7f || r == '\r' || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
				t.Fatalf("control %U at %d survives in the view: %q", r, i, rest[max(i-20, 0):min(i+20, len(rest))])
			}
		}
		if strings.Contains(view, "pwned") {
			t.Fatal("an OSC payload leaked into the view")
		}
	}
	check(m.View().Content)
	requireContains(t, screen(m), "evil")

	m.mon.on, m.mon.gen = true, 1
	m.events.SetMonitor(true, "")
	m.Update(monitorLinesMsg{gen: 1, lines: []string{`1795687170.1 [0 127.0.0.1:1] "set" "` + evil + `"`}})
	check(m.View().Content)

	m.events.SetMonitor(false, "")
	m.openDetail("x")
	m.Update(taskMsg{task: queue.TaskInfo{ID: "task-1" + evil, Name: evil, Error: evil, Payload: []byte(evil), Result: []byte(evil),
		Fields: map[string]string{evil: evil}}})
	check(m.View().Content)

	m.view = viewFailed
	m.Update(failedListMsg{tasks: []queue.TaskInfo{{ID: "task-2" + evil, Name: evil, Error: evil}}})
	check(m.View().Content)
}
