package events

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// captured is a real MONITOR sequence (redis-server 7, an imgq worker "ana",
// the course's Python worker and producer), cut at MaxMonitorLine as the feed
// cuts it, with a dropped-lines marker.
func captured(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/monitor-lines.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The capture names scripts as {sha:claim.lua}: a script's SHA changes with
	// its text, and the view must name today's scripts.
	s := shaRef.ReplaceAllStringFunc(string(b), func(ref string) string {
		sha := queue.ScriptSHA(ref[len("{sha:") : len(ref)-1])
		if sha == "" {
			t.Fatalf("testdata names a script the queue does not have: %s", ref)
		}
		return sha
	})
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

var shaRef = regexp.MustCompile(`\{sha:[a-z_]+\.lua\}`)

func monitorModel(lang string, w, h int, lines []string) Model {
	c := common.New(context.Background(), lang)
	c.Loc = time.UTC
	m := New(c, "image_processing:")
	m.SetSize(w, h)
	m.SetMonitor(true, "")
	m.AddMonitor(lines, 0)
	return m
}

// The pane at the widths it gets: 69 (a 120-column screen, beside the queues),
// 80, 120 and 200 (alone).
func TestMonitorViewGolden(t *testing.T) {
	lines := captured(t)
	for _, sz := range [][2]int{{69, 24}, {80, 16}, {120, 30}, {200, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := monitorModel("en", sz[0], sz[1], lines)
			s := ansi.Strip(m.View())
			for i, row := range strings.Split(s, "\n") {
				if w := ansi.StringWidth(row); w != sz[0] {
					t.Fatalf("row %d is %d cells, want %d: %q", i, w, sz[0], row)
				}
			}
			golden.RequireEqual(t, []byte(s))
		})
	}
}

// Every key of every line on screen shows whole, at every width, whatever the
// values around it; values are elided, never the keys.
func TestMonitorKeysWhole(t *testing.T) {
	lines := captured(t)
	for _, w := range []int{40, 69, 80, 120, 200} {
		for i, raw := range lines {
			l, ok := redisconn.ParseMonitorLine(raw)
			if !ok || l.Dropped > 0 {
				continue
			}
			// This line alone, at the bottom of a tall pane.
			m := monitorModel("en", w, 40, lines[i:i+1])
			s := ansi.Strip(m.View())
			flat := strings.Join(strings.Fields(s), " ")
			for _, a := range l.Args {
				if a.Key && !strings.Contains(s, a.Text) && w >= len(a.Text)+20 {
					t.Errorf("width %d: key %q cut in\n%s", w, a.Text, s)
				}
			}
			if strings.Contains(flat, `\xff\xd8\xff`) && !strings.Contains(flat, "kB)") && !strings.Contains(flat, "…") {
				t.Errorf("width %d: image bytes on screen:\n%s", w, s)
			}
		}
	}
}

func TestMonitorClientColumn(t *testing.T) {
	m := monitorModel("en", 120, 80, captured(t))
	s := ansi.Strip(m.View())
	for _, want := range []string{
		"ana   EVALSHA register.lua image_processing:workers image_processing:worker:ana",                           // learned from its worker hash
		"lua     LPOP image_processing:pending:high",                                                                // nested under its script
		"127.0.0.1:56930 BRPOP image_processing:pending:high image_processing:pending image_processing:pending:low", // the timeout gives way to the keys
		"ana   GET image_processing:blob:task-9ad0d40ab141b9ec",                                                     // the same address, no key of its own
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
}

// What is not on screen is said in words: lines lost because the dashboard
// could not keep up, and its own polling hidden; in Spanish too.
func TestMonitorSaysWhatIsMissing(t *testing.T) {
	own := `1796166591.7 [0 127.0.0.1:9] "xread" "COUNT" "100" "BLOCK" "1000" "STREAMS" "image_processing:events" "0-0"`
	lines := append([]string{own, own}, captured(t)...)
	for lang, want := range map[string][]string{
		"en": {"80 lines lost: Redis sent them faster than the dashboard read them", "2 hidden: the dashboard's own polling and housekeeping (h shows them)", "⋯ 80 lines lost here"},
		"es": {"80 líneas perdidas", "2 ocultas", "⋯ 80 líneas perdidas aquí"},
	} {
		m := monitorModel(lang, 200, 40, lines)
		s := ansi.Strip(m.View())
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: missing %q in\n%s", lang, w, s)
			}
		}
		if strings.Contains(s, "skipped") || strings.Contains(s, "omitidos") {
			t.Errorf("%s: an unexplained count on screen:\n%s", lang, s)
		}
	}
}

// Scrolled back to the oldest line kept, the pane says older ones are gone;
// following, it does not (they scrolled out, nothing was missed).
func TestMonitorSaysOlderLinesAreNotKept(t *testing.T) {
	var lines []string
	for i := range Keep + 10 {
		lines = append(lines, fmt.Sprintf(`1796166591.%06d [0 127.0.0.1:1] "LLEN" "k%d"`, i, i))
	}
	m := monitorModel("en", 80, 20, lines)
	m.SetFocused(true)
	const note = "older lines are not kept (the newest 1000 are)"
	if strings.Contains(ansi.Strip(m.View()), note) {
		t.Fatal("following, yet told that lines are not kept")
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"})
	if s := ansi.Strip(m.View()); !strings.Contains(s, note) || !strings.Contains(s, "LLEN k10 ") || strings.Contains(s, "LLEN k9 ") {
		t.Fatalf("at the top of the history:\n%s", s)
	}
}

// The dashboard's own embedded worker shares the dashboard's connections: a
// line it names is its own, the next line from that address is not pinned to it.
func TestMonitorEmbeddedWorkerAddressNotPinned(t *testing.T) {
	host, _ := os.Hostname()
	hb := `1796166591.656779 [0 127.0.0.1:7] "evalsha" "8c9e0bd20c038ffef9c63f476ba78aa8fecb3aaa" "4" "image_processing:workers" "image_processing:worker:w1" "image_processing:leases" "image_processing:config" "w1" "x" "30000" "task:" "idle" "0"`
	lock := `1796166591.700000 [0 127.0.0.1:7] "GET" "image_processing:blob:task-1"`
	for _, tc := range []struct {
		pid  int
		want string
	}{{os.Getpid(), "127.0.0.1:7"}, {os.Getpid() + 1, "w1"}} {
		c := common.New(context.Background(), "en")
		c.Loc = time.UTC
		m := New(c, "image_processing:")
		m.SetSize(120, 10)
		m.SetMonitor(true, "")
		m.SetMonitorWorkers([]queue.WorkerStat{{ID: "w1", Host: host, PID: tc.pid}})
		m.AddMonitor([]string{hb, lock}, 0)
		rows := strings.Split(ansi.Strip(m.View()), "\n")
		var last string
		for _, r := range rows {
			if strings.Contains(r, "image_processing:blob:task-1") && strings.Contains(r, "GET") {
				last = strings.Join(strings.Fields(r), " ")
			}
		}
		if !strings.HasPrefix(last, "23:09:51.700 "+tc.want+" GET") {
			t.Errorf("pid %d: the blob read reads %q, want it from %s", tc.pid, last, tc.want)
		}
	}
}

// h hides the housekeeping every process repeats twice a second (the
// housekeeper election, the observer), with the lines its scripts run, and
// shows them again.
func TestMonitorHidesHousekeepingUntilAsked(t *testing.T) {
	lock := fmt.Sprintf(`1796166591.700000 [0 127.0.0.1:7] "evalsha" "%s" "1" "image_processing:housekeeper" "450"`, queue.ScriptSHA("housekeep_lock"))
	set := `1796166591.700001 [0 lua] "SET" "image_processing:housekeeper" "1" "NX" "PX" "450"`
	claim := `1796166591.800000 [0 127.0.0.1:8] "LPOP" "image_processing:pending"`
	m := monitorModel("en", 120, 10, []string{lock, set, claim})
	s := ansi.Strip(m.View())
	if strings.Contains(s, "housekeeper") || !strings.Contains(s, "LPOP image_processing:pending") {
		t.Fatalf("housekeeping shown by default, or the claim hidden:\n%s", s)
	}
	if !strings.Contains(s, "2 hidden: the dashboard's own polling and housekeeping") {
		t.Fatalf("the hidden lines are not counted and explained:\n%s", s)
	}
	m.SetFocused(true)
	m, _ = m.Update(tea.KeyPressMsg{Code: 'h', Text: "h"})
	m.AddMonitor([]string{lock, set}, 0)
	if s := ansi.Strip(m.View()); !strings.Contains(s, "EVALSHA housekeep_lock image_processing:housekeeper") {
		t.Fatalf("h did not show the housekeeping:\n%s", s)
	}
}

// A sharded queue's dashboard knows every shard's keys as its own: its XREAD
// of any shard's events is hidden, and a worker hash on any shard names the
// worker on that connection's lines.
func TestMonitorKnowsEveryShardsKeys(t *testing.T) {
	c := common.New(context.Background(), "en")
	c.Loc = time.UTC
	m := New(c, "{img.0}:", "{img.1}:")
	m.SetSize(120, 10)
	m.SetMonitor(true, "")
	xread := `1796166591.600000 [0 127.0.0.1:9] "XREAD" "COUNT" "500" "STREAMS" "{img.1}:events" "0"`
	hb := `1796166591.656779 [0 127.0.0.1:7] "evalsha" "8c9e0bd20c038ffef9c63f476ba78aa8fecb3aaa" "4" "{img.1}:workers" "{img.1}:worker:w9" "{img.1}:leases" "{img.1}:config" "w9" "x" "30000" "{img.1}:task:" "idle" "0"`
	get := `1796166591.700000 [0 127.0.0.1:7] "GET" "{img.1}:blob:task-1"`
	m.AddMonitor([]string{xread, hb, get}, 0)
	s := ansi.Strip(m.View())
	if strings.Contains(s, "XREAD") {
		t.Errorf("the dashboard's read of shard 1's events is shown:\n%s", s)
	}
	found := false
	for _, r := range strings.Split(s, "\n") {
		if strings.Contains(r, "{img.1}:blob:task-1") {
			found = strings.HasPrefix(strings.Join(strings.Fields(r), " "), "23:09:51.700 w9 GET")
		}
	}
	if !found {
		t.Errorf("the blob read is not named by worker w9 of shard 1:\n%s", s)
	}
}
