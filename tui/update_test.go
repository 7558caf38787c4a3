package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/components/failed"
	"github.com/imgq/imgq/tui/components/header"
)

// run executes a command and returns its message (nil for a nil command).
func run(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	return cmd()
}

func TestFocusCyclesWithTab(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	if m.focus != paneWorkers {
		t.Fatal("workers should start focused")
	}
	press(m, "tab")
	if m.focus != paneEvents {
		t.Fatal("tab did not move focus to events")
	}
	press(m, "shift+tab")
	if m.focus != paneWorkers {
		t.Fatal("shift+tab did not move focus back")
	}
}

func TestEventsScrollPausesAndResumes(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	press(m, "tab", "k", "k")
	if m.events.Following() {
		t.Fatal("scrolling up should stop following")
	}
	m.Update(eventsMsg{events: []queue.Event{{ID: "12", Time: t0, Kind: queue.EventEnqueued, Task: "task-new"}}, after: "12"})
	requireContains(t, screen(m), "paused, 1 new")
	if strings.Contains(screen(m), "task-new") {
		t.Fatal("a paused pane must not jump to the new event")
	}
	press(m, "G")
	if !m.events.Following() {
		t.Fatal("G should follow again")
	}
	requireContains(t, screen(m), "task-new")
}

func TestEventBurstKeepsNewestAndCountsSkipped(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	var burst []queue.Event
	for i := range 5000 {
		burst = append(burst, queue.Event{ID: "x", Time: t0, Kind: queue.EventEnqueued, Task: "task-" + strings.Repeat("0", 4) + string(rune('a'+i%26))})
	}
	burst[len(burst)-1].Task = "task-last"
	m.Update(eventsMsg{events: burst, after: "x"})
	if n := len(m.events.Events()); n != 1000 {
		t.Fatalf("kept %d events, want 1000", n)
	}
	requireContains(t, screen(m), "task-last", "skipped")
}

func TestSortAndLeaderboardKeys(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{})
	press(m, "s")
	requireContains(t, screen(m), "sort: busiest")
	press(m, "s", "s", "s")
	requireContains(t, screen(m), "sort: start order")
	press(m, "l")
	requireContains(t, screen(m), "Leaderboard")
	if !strings.Contains(screen(m), "1. ") {
		t.Fatal("leaderboard has no ranks")
	}
	press(m, "l")
	requireContains(t, screen(m), "Workers")
}

func TestHelpJoinAndEscape(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{JoinLine: "imgq worker --redis redis://10.0.0.2:6379 --id NAME"})
	press(m, "?")
	if m.view != viewHelp {
		t.Fatal("? did not open help")
	}
	press(m, "?")
	if m.view != viewMain {
		t.Fatal("? did not close help")
	}
	press(m, "i")
	if m.view != viewJoin {
		t.Fatal("i did not open the join view")
	}
	requireContains(t, screen(m), "redis://10.0.0.2:6379")
	press(m, "x")
	if m.view != viewMain {
		t.Fatal("any key should close the join view")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m, _ := fixture(t, 80, 24, 3, Options{})
		if msg := run(t, press(m, k)); msg != (tea.QuitMsg{}) {
			t.Fatalf("%s: got %T, want tea.QuitMsg", k, msg)
		}
	}
}

func TestFlushAsksFirst(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	if cmd := press(m, "f"); cmd != nil {
		t.Fatal("f must only ask")
	}
	requireContains(t, screen(m), "Flush queue image_processing?")
	if cmd := press(m, "n"); cmd != nil {
		t.Fatal("n must not flush")
	}
	if strings.Contains(screen(m), "Flush queue") {
		t.Fatal("the question stays after n")
	}
	press(m, "f")
	if cmd := press(m, "y"); cmd == nil {
		t.Fatal("y must flush")
	}
}

func TestPoolKeys(t *testing.T) {
	pool := &fakePool{n: 3}
	m, _ := fixture(t, 80, 24, 3, Options{Workers: pool})
	m.Update(run(t, press(m, "+")))
	if pool.n != 4 {
		t.Fatalf("+: pool has %d workers, want 4", pool.n)
	}
	requireContains(t, screen(m), "workers: 4")
	m.Update(run(t, press(m, "-")))
	m.Update(run(t, press(m, "-")))
	if pool.n != 2 {
		t.Fatalf("-: pool has %d workers, want 2", pool.n)
	}
	// p shows at once, before the pool (and Redis) are told.
	cmd := press(m, "p")
	requireContains(t, screen(m), "workers paused", "‖ paused")
	m.Update(run(t, cmd))
	if !pool.paused {
		t.Fatal("p did not pause")
	}
	m.Update(run(t, press(m, "p")))
	if pool.paused {
		t.Fatal("p did not resume")
	}
	pool.err = errors.New("cannot scale")
	m.Update(run(t, press(m, "+")))
	requireContains(t, screen(m), "cannot scale")
}

func TestPoolKeysWithoutPool(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	// (p pauses the queue's workers through Redis even without embedded ones.)
	for _, k := range []string{"+", "-"} {
		if cmd := press(m, k); cmd != nil {
			t.Fatalf("%s without a pool returned a command", k)
		}
		requireContains(t, screen(m), "no embedded workers")
	}
}

func TestEnqueueKeys(t *testing.T) {
	var asked []int
	m, _ := fixture(t, 80, 24, 3, Options{Enqueue: func(_ context.Context, n int) (int, error) {
		asked = append(asked, n)
		return n, nil
	}})
	m.Update(run(t, press(m, "e")))
	m.Update(run(t, press(m, "E")))
	if len(asked) != 2 || asked[0] != 1 || asked[1] != 15 {
		t.Fatalf("enqueue asked %v, want [1 15]", asked)
	}
	requireContains(t, screen(m), "enqueued 15 tasks")

	m2, _ := fixture(t, 80, 24, 3, Options{})
	press(m2, "e")
	requireContains(t, screen(m2), "enqueue is not available")
}

func TestFindPrompt(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	press(m, "/")
	if !m.footer.Prompting() {
		t.Fatal("/ did not open the prompt")
	}
	press(m, "t", "a", "s", "k", "-", "1", "x", "backspace")
	m.Update(tea.PasteMsg{Content: "a2b\x1b[31m"})
	requireContains(t, screen(m), "/ task-1a2b")
	cmd := press(m, "enter")
	if m.view != viewDetail || cmd == nil {
		t.Fatal("enter did not open the detail with a lookup")
	}
	m.Update(taskMsg{err: queue.ErrNotFound})
	requireContains(t, screen(m), "task not found")
	press(m, "esc")
	if m.view != viewMain {
		t.Fatal("esc did not return from the detail")
	}
	press(m, "/", "a", "esc")
	if m.footer.Prompting() || m.view != viewMain {
		t.Fatal("esc did not cancel the prompt")
	}
}

func TestFailedViewKeys(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{})
	if cmd := press(m, "F"); cmd == nil || m.view != viewFailed {
		t.Fatal("F did not open the failed view with a fetch")
	}
	m.Update(failedListMsg{tasks: []queue.TaskInfo{{ID: "task-a"}, {ID: "task-b"}}})
	press(m, "j")
	if got := m.failed.Selected(); got != "task-b" {
		t.Fatalf("selected %q after j, want task-b", got)
	}
	if msg := run(t, press(m, "r")); msg.(failed.RequeueMsg).IDs[0] != "task-b" {
		t.Fatalf("r asked %v", msg)
	}
	if msg := run(t, press(m, "R")); msg.(failed.RequeueMsg).IDs != nil {
		t.Fatalf("R asked %v, want all", msg)
	}
	if msg := run(t, press(m, "enter")); msg.(failed.OpenMsg).ID != "task-b" {
		t.Fatalf("enter asked %v", msg)
	}
	m.Update(failed.OpenMsg{ID: "task-b"})
	if m.view != viewDetail {
		t.Fatal("OpenMsg did not open the detail")
	}
	press(m, "esc")
	if m.view != viewFailed {
		t.Fatal("esc from a detail opened from the failed view should go back there")
	}
	press(m, "esc")
	if m.view != viewMain {
		t.Fatal("esc did not leave the failed view")
	}
}

func TestDisconnectBackoffAndRecovery(t *testing.T) {
	m, clk := fixture(t, 80, 24, 3, Options{})
	down := errors.New("dial tcp: connection refused")
	m.Update(statsMsg{err: down})
	if m.conn != header.Disconnected || m.backoff != 500*time.Millisecond {
		t.Fatalf("after one failure: conn %v backoff %v", m.conn, m.backoff)
	}
	for range 6 {
		m.Update(statsMsg{err: down})
	}
	if m.backoff != maxBackoff {
		t.Fatalf("backoff %v, want the cap %v", m.backoff, maxBackoff)
	}
	requireContains(t, screen(m), "disconnected, retrying in 8s")
	clk.t = clk.t.Add(time.Second)
	m.Update(statsMsg{stats: sampleStats(clk.t, 13, 3)})
	if m.conn != header.Connected || m.backoff != 0 {
		t.Fatal("a good refresh did not reconnect")
	}
	requireContains(t, screen(m), "● connected")
	if !strings.Contains(screen(m), "w-1") {
		t.Fatal("workers lost after reconnecting")
	}
}

func TestEventsErrorRetries(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	cmd := m.update(eventsMsg{err: errors.New("i/o timeout"), after: "5-0"})
	if cmd == nil || m.after != "5-0" || m.evBackoff == 0 {
		t.Fatal("an events error should schedule a retry from the same id")
	}
	m.update(eventsMsg{events: nil, after: "5-0"})
	if m.evBackoff != 0 {
		t.Fatal("a good read should reset the backoff")
	}
	if cmd := m.update(eventsMsg{err: context.Canceled}); cmd != nil {
		t.Fatal("a cancelled read (quitting) must not retry")
	}
}

func TestResize(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	for _, sz := range [][2]int{{120, 36}, {200, 50}, {60, 20}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkSize(t, m, sz[0], sz[1])
	}
}

func TestMonitorUnavailable(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{Embedded: true, Monitor: func(context.Context) (<-chan string, error) {
		return nil, errors.New("ERR unknown command 'monitor'")
	}})
	m.Update(run(t, press(m, "m")))
	requireContains(t, screen(m), "embedded Redis does not support MONITOR")
	press(m, "m")
	requireContains(t, screen(m), "Events")
}

func TestMonitorFeedAndStaleGenerations(t *testing.T) {
	ch := make(chan string, 10)
	var got context.Context
	m, _ := fixture(t, 120, 36, 3, Options{Monitor: func(ctx context.Context) (<-chan string, error) {
		got = ctx
		return ch, nil
	}})
	started := run(t, press(m, "m"))
	wait := m.update(started)
	ch <- `1795687170.1 [0 127.0.0.1:1] "blmove" "a" "b"`
	m.Update(run(t, wait))
	requireContains(t, screen(m), "BLMOVE")
	press(m, "h")
	requireContains(t, screen(m), "own reads shown")
	press(m, "m") // off
	if got.Err() == nil {
		t.Fatal("switching MONITOR off did not cancel the feed's context")
	}
	if cmd := m.update(monitorLinesMsg{gen: 1, lines: []string{"late-line"}}); cmd != nil || strings.Contains(screen(m), "late-line") {
		t.Fatal("a line from a feed switched off reached the screen")
	}
}

// A Redis that stops answering without dropping the connection (DEBUG SLEEP, a
// long script) is shown as stalled, not as live numbers.
func TestStalledRedisIsShown(t *testing.T) {
	m, clk := fixture(t, 120, 36, 3, Options{Interval: 250 * time.Millisecond})
	requireContains(t, screen(m), "● connected")
	clk.t = clk.t.Add(5 * time.Second)
	m.Update(clockMsg(clk.t))
	requireContains(t, screen(m), "redis stalled: no answer for 5.0s")
	m.Update(statsMsg{stats: sampleStats(clk.t, 13, 3)})
	requireContains(t, screen(m), "● connected")
	if strings.Contains(screen(m), "stalled") {
		t.Fatal("still shown stalled after Redis answered")
	}
}

// S runs the course's stuck fix as a command with a typed result, and its
// outcome (or error) is the status line.
func TestRequeueStuckKey(t *testing.T) {
	m, _ := courseFixture(t, 80, 24, Options{})
	if cmd := press(m, "S"); cmd == nil {
		t.Fatal("S returned no command") // TestLiveRequeueStuckKey runs it on a redis-server
	}
	m.Update(stuckRequeuedMsg{n: 2})
	requireContains(t, screen(m), "requeued 2 stuck task(s)")
	m.Update(stuckRequeuedMsg{err: errors.New("requeue stuck tasks: i/o timeout")})
	requireContains(t, screen(m), "i/o timeout")

	es, _ := courseFixture(t, 120, 36, Options{Lang: "es"})
	es.Update(stuckRequeuedMsg{n: 2})
	requireContains(t, screen(es), "2 tarea(s) atascada(s) reencolada(s)")
}

// A layout clash is not a disconnection: no backoff, Redis counts as answered.
func TestLayoutClashIsNotDisconnected(t *testing.T) {
	m, _ := fixture(t, 80, 24, 3, Options{})
	err := fmt.Errorf("stats: %w", &queue.LayoutError{Queue: "q", Clashes: []queue.KeyClash{{Key: "q:processing", Got: "list", Want: "hash"}}})
	if _, cmd := m.Update(statsMsg{err: err}); cmd == nil {
		t.Fatal("the refresh must keep polling through a clash")
	}
	if m.conn != header.Clash || m.backoff != 0 || !m.retryAt.IsZero() {
		t.Fatalf("clash: conn %v backoff %v retryAt %v", m.conn, m.backoff, m.retryAt)
	}
	s := screen(m)
	requireContains(t, s, "▲ wrong key type", "q:processing is a list, imgq expects a hash")
	if strings.Contains(s, "disconnected") || strings.Contains(s, "stalled") {
		t.Fatalf("a clash shows as an outage:\n%s", s)
	}
	// With the join line too, at any size, the screen keeps its shape.
	m.opts.JoinLine = "imgq worker --redis redis://10.0.0.2:6379 --id NAME"
	for _, sz := range [][2]int{{60, 20}, {60, 16}, {200, 50}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkSize(t, m, sz[0], sz[1])
	}
}
