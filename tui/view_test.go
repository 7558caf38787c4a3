package tui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/queue"
)

// Goldens hold the screen without styles so a diff reads like the screen;
// every view's goldens, with and without colours, are in TestViewGoldens.

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

// A mixed class: the course worker is marked as observed in the workers pane
// (at 120 its host column says so; at 80, where that column does not fit, a
// mark follows its id), with its task and counts; its events are marked; the
// two stuck claims show in the header with their key, whose hint comes first.
func TestViewCourseWorkers(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, _ := courseFixture(t, sz[0], sz[1], Options{Workers: &fakePool{n: 3}})
			checkSize(t, m, sz[0], sz[1])
			s := screen(m)
			requireContains(t, s, "◦ 1 observed", "▲ stuck 2 (S)", " S requeue stuck", "task-c0ffee00")
			row := lineWith(t, s, "● py-4242")
			if !strings.Contains(row, "◦") || !strings.Contains(row, "busy") || !strings.Contains(row, " 24 ") {
				t.Fatalf("observed worker row lacks its mark, state or done count: %q", row)
			}
			if !regexp.MustCompile(`\d\.\d/s`).MatchString(row) || strings.Contains(row, " 0/s") {
				t.Fatalf("observed worker row has no tasks/s from its counters: %q", row)
			}
			if sz[0] >= 120 {
				requireContains(t, row, "◦ course worker")
			}
			for _, task := range []string{"task-c0ffee0000000006"[:13], "task-c0ffee0000000007"[:13]} {
				// The kind column is as wide as the pane allows: any run of spaces.
				if !regexp.MustCompile(`claimed +` + task + `.*py-4242 ◦`).MatchString(s) {
					t.Fatalf("observed claim of %s not marked:\n%s", task, s)
				}
			}
			if ev := lineWith(t, s, "09:59:39 requeued"); strings.Contains(ev, "◦") {
				t.Fatalf("a reported event is marked as observed: %q", ev)
			}
			requireContains(t, s, "◦ observed, not reported")
			golden.RequireEqual(t, []byte(s))
		})
	}
}

func TestViewCourseWorkersSpanish(t *testing.T) {
	m, _ := courseFixture(t, 120, 36, Options{Lang: "es"})
	requireContains(t, screen(m), "◦ worker del curso", "◦ 1 observados", "▲ atascadas 2 (S)", "S reencolar atascadas", "observado, no informado")
}

// lineWith returns the first line of s that contains sub.
func lineWith(t *testing.T, s, sub string) string {
	t.Helper()
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	t.Fatalf("no line contains %q:\n%s", sub, s)
	return ""
}

// A key of the wrong type is explained under the header, in full, wrapped to
// the width; the header says so and never "disconnected": Redis answered.
func TestViewLayoutClash(t *testing.T) {
	clash := &queue.LayoutError{Queue: "image_processing", Clashes: []queue.KeyClash{{
		Key: "image_processing:processing", Got: "list", Want: "hash", What: "the course's task id -> worker id\x1b[2J",
	}}}
	for _, sz := range [][2]int{{80, 24}, {120, 36}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, clk := fixture(t, sz[0], sz[1], 3, Options{})
			clk.t = clk.t.Add(time.Second)
			m.Update(statsMsg{err: fmt.Errorf("stats: %w", clash)})
			checkSize(t, m, sz[0], sz[1])
			s := screen(m)
			if strings.Contains(s, "disconnected") {
				t.Fatalf("a layout clash shows as an outage:\n%s", s)
			}
			requireContains(t, s, "▲ wrong key type", "▲ image_processing:processing is a list, imgq expects a hash")
			flat := strings.Join(strings.Fields(s), " ")
			requireContains(t, flat, "imgq flush --queue image_processing")
			if strings.Contains(m.View().Content, "\x1b[2J") {
				t.Fatal("the error's escape reached the screen")
			}
			// The next good refresh clears it.
			clk.t = clk.t.Add(time.Second)
			m.Update(statsMsg{stats: sampleStats(clk.t, 13, 3)})
			checkSize(t, m, sz[0], sz[1])
			if s := screen(m); strings.Contains(s, "wrong key type") || strings.Contains(s, "expects a hash") {
				t.Fatalf("the clash stays after a good refresh:\n%s", s)
			}
		})
	}
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
	s.Workers[0].Observed = true // its id takes the mark's path
	m.Update(statsMsg{stats: s})
	m.Update(eventsMsg{events: []queue.Event{{ID: "99", Time: t0, Kind: queue.EventFailed + evil, Task: "task-" + evil,
		Name: evil, Worker: evil, Prev: evil, Error: "boom" + evil, Observed: true}}})
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

// headerLines is the header of the screen, without styles.
func headerLines(m *Model) []string {
	return strings.Split(screen(m), "\n")[:m.header.Height()]
}

// Every switch shows its value, on or off, and turning any of them on moves
// no field of the header: each keeps its column, at every size. At 80
// columns nothing is cut and the workers stay.
func TestViewHeaderFieldsKeepTheirPlace(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			pool := &fakePool{n: 3}
			m, clk := fixture(t, sz[0], sz[1], 3, Options{Workers: pool})
			labels := []string{"fail injection", "pace", "MONITOR", "queue latency", "throughput", "workers"}
			where := func() map[string][2]int {
				at := map[string][2]int{}
				for row, l := range headerLines(m) {
					for _, lab := range labels {
						if i := strings.Index(l, lab+" "); i >= 0 {
							at[lab] = [2]int{row, ansi.StringWidth(l[:i])}
						}
					}
				}
				return at
			}
			off := where()
			requireContains(t, strings.Join(headerLines(m), "\n"), "▶ running", "fail injection off", "pace off", "MONITOR off", "queue latency  3.2s", "workers 3")
			if len(off) != len(labels) {
				t.Fatalf("header lacks fields: %v\n%s", off, strings.Join(headerLines(m), "\n"))
			}

			clk.t = clk.t.Add(time.Second)
			s := sampleStats(clk.t, 13, 3)
			s.FailRate, s.Pace, s.OldestPending = 0.2, 600*time.Millisecond, 4*time.Minute+5*time.Second
			pool.paused = true
			m.mon.on = true
			m.Update(statsMsg{stats: s})
			head := strings.Join(headerLines(m), "\n")
			requireContains(t, head, "‖ paused", "fail injection 20%", "pace 600ms", "MONITOR on", "queue latency 4m05s")
			if on := where(); fmt.Sprint(on) != fmt.Sprint(off) {
				t.Fatalf("fields moved when switches turned on:\noff %v\non  %v\n%s", off, on, head)
			}
			if strings.Contains(head, "…") {
				t.Fatalf("a header value is cut:\n%s", head)
			}
		})
	}
}

// Each queue is one row: its label, count, gauge and sparkline on one line,
// the sparkline as wide as the pane allows.
func TestViewQueuesOneRowPerQueue(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, _ := fixture(t, sz[0], sz[1], 3, Options{})
			pane := strings.Split(ansi.Strip(m.queues.View()), "\n")
			rows := []string{"pending", "processing", "retry", "completed", "failed"}
			if sz[0] > 80 {
				rows = []string{"pending high", "pending", "pending low", "processing", "retry", "completed", "failed"}
			}
			if len(pane) < len(rows)+1 {
				t.Fatalf("pane has %d lines for %d queues", len(pane), len(rows))
			}
			spark := regexp.MustCompile(`[▁▂▃▄▅▆▇█]{10,}`)
			for i, r := range rows {
				l := pane[1+i]
				f := strings.Fields(l)
				if !strings.HasPrefix(strings.TrimSpace(l), r+" ") || !regexp.MustCompile(`^\d+$`).MatchString(f[len(strings.Fields(r))]) {
					t.Fatalf("row %d is not %q with its count: %q", i, r, l)
				}
				all := spark.FindAllString(l, -1) // a full gauge matches too: the chart is last
				sp := all[len(all)-1]
				if w := ansi.StringWidth(sp); w < sz[0]/3 {
					t.Fatalf("row %q: sparkline %d cells at width %d: %q", r, w, sz[0], l)
				}
			}
		})
	}
}

// An action's result shows above the keys, which stay; it goes after
// footer.StatusFor, and the screen keeps its size throughout.
func TestViewStatusKeepsHints(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, clk := fixture(t, sz[0], sz[1], 3, Options{})
			m.Update(actionMsg{text: "failure injection on: 20% of tasks fail"})
			checkSize(t, m, sz[0], sz[1])
			lines := strings.Split(screen(m), "\n")
			requireContains(t, lines[len(lines)-2], "✓ failure injection on: 20% of tasks fail")
			requireContains(t, lines[len(lines)-1], "e enqueue 1", "? help", "q quit")
			m.Update(actionMsg{err: errors.New("enqueue: " + strings.Repeat("a long reason from Redis ", 12))})
			checkSize(t, m, sz[0], sz[1])
			requireContains(t, screen(m), "✕ enqueue: a long reason", "e enqueue 1")

			clk.t = clk.t.Add(6 * time.Second)
			m.Update(clockMsg(clk.t))
			checkSize(t, m, sz[0], sz[1])
			if s := screen(m); strings.Contains(s, "a long reason") {
				t.Fatalf("the result outlived its time:\n%s", s)
			}
		})
	}
}

// The task prompt (bubbles/textinput) says what it wants, shows what is
// typed, and keeps the keys that end it, whole, at every width.
func TestViewPromptKeepsItsKeys(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, _ := fixture(t, sz[0], sz[1], 3, Options{})
			press(m, "/")
			checkSize(t, m, sz[0], sz[1])
			last := func() string {
				lines := strings.Split(screen(m), "\n")
				return lines[len(lines)-1]
			}
			requireContains(t, last(), " / task id or prefix", "enter open • esc back")
			press(m, "t", "a", "s", "k", " ", "-", "1")
			m.Update(tea.PasteMsg{Content: strings.Repeat("x", 300)})
			checkSize(t, m, sz[0], sz[1])
			if l := last(); !strings.HasSuffix(strings.TrimRight(l, " "), "enter open • esc back") || strings.Contains(l, "…") {
				t.Fatalf("prompt line cut: %q", l)
			}
			if got := m.footer.ClosePrompt(); got != "task-1"+strings.Repeat("x", 194) {
				t.Fatalf("prompt read %q (%d), want the id without the space, up to 200 runes", got, len(got))
			}
		})
	}
}
