package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// config reads the shared switches as the workers would.
func (l *live) config() (fail string, paceMS string) {
	l.t.Helper()
	fail, paceMS, _ = l.config3()
	return fail, paceMS
}

func (l *live) config3() (fail, paceMS, paused string) {
	l.t.Helper()
	v, err := l.q.Client().HMGet(context.Background(), l.q.Keys().Config, "fail_rate", "pace_ms", "paused").Result()
	if err != nil {
		l.t.Fatal(err)
	}
	s := func(x any) string { r, _ := x.(string); return r }
	return s(v[0]), s(v[1]), s(v[2])
}

// A switch shows its new state on the next frame, before Redis has been told;
// quick presses count from what the screen shows and reach Redis in order.
func TestSwitchesShowAtOnce(t *testing.T) {
	l := newLive(t, Options{})
	l.refresh()
	cmdX := press(l.m, "x")
	requireContains(t, screen(l.m), "fail injection 20%", "failure injection on")
	cmd1 := press(l.m, ">")
	cmd2 := press(l.m, ">")
	if got := l.m.track.Last.Pace; got != 500*time.Millisecond {
		t.Fatalf("pace shown after > >: %s, want 500ms", got)
	}
	requireContains(t, screen(l.m), "pace 500ms")
	// A refresh that does not show the writes yet does not undo the screen.
	l.refresh()
	if l.m.track.Last.FailRate != failRate || l.m.track.Last.Pace != 500*time.Millisecond {
		t.Fatalf("a stale refresh undid the presses: fail %v pace %s", l.m.track.Last.FailRate, l.m.track.Last.Pace)
	}
	for _, c := range []tea.Cmd{cmdX, cmd1, cmd2} {
		l.m.Update(c())
	}
	if fail, pace := l.config(); fail != "0.2" || pace != "500" {
		t.Fatalf("Redis holds fail_rate %q pace_ms %q, want 0.2 and 500", fail, pace)
	}
	l.refresh()
	l.key("<")
	l.refresh()
	if fail, pace := l.config(); fail != "0.2" || pace != "250" || l.m.track.Last.Pace != 250*time.Millisecond {
		t.Fatalf("after <: fail_rate %q pace_ms %q shown %s", fail, pace, l.m.track.Last.Pace)
	}
	cmd := press(l.m, "E")
	requireContains(t, screen(l.m), "enqueuing 15 tasks")
	l.m.Update(cmd())
	requireContains(t, screen(l.m), "enqueued 15 tasks")
}

// Quitting turns off the shared switches this dashboard turned on, and only
// those: the next dashboard starts with failure injection off.
func TestQuitTurnsOffOwnSwitches(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			l := newLive(t, Options{})
			l.refresh()
			l.key("x")
			l.key(">")
			l.key("p")
			l.refresh()
			if fail, pace, paused := l.config3(); fail != "0.2" || pace != "250" || paused != "1" {
				t.Fatalf("switches not on: fail_rate %q pace_ms %q paused %q", fail, pace, paused)
			}
			requireContains(t, screen(l.m), "‖ paused")
			if msg := l.key(k); msg != (tea.QuitMsg{}) {
				t.Fatalf("%s: got %T, want tea.QuitMsg", k, msg)
			}
			if fail, pace, paused := l.config3(); fail != "0" || pace != "0" || paused != "0" {
				t.Fatalf("after %s: fail_rate %q pace_ms %q paused %q, want all off", k, fail, pace, paused)
			}
		})
	}
}

// A dashboard stopped by its context (Run's path) resets the same way, and a
// dashboard started with --pace owns that pace.
func TestStopTurnsOffFlagPace(t *testing.T) {
	l := newLive(t, Options{Pace: 600 * time.Millisecond})
	if err := l.q.SetPace(context.Background(), 600*time.Millisecond); err != nil { // as runDash does
		t.Fatal(err)
	}
	l.refresh()
	if s := screen(l.m); strings.Contains(s, "set by another") {
		t.Fatalf("its own --pace greeted as another's:\n%s", s)
	}
	reset := l.m.takeReset()
	if reset == nil {
		t.Fatal("nothing to reset after --pace")
	}
	if err := reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, pace := l.config(); pace != "0" {
		t.Fatalf("pace_ms %q after stop, want 0", pace)
	}
}

// A dashboard that starts with a switch on says so, and leaves another's
// switch alone when it quits.
func TestStartupSaysWhatIsOn(t *testing.T) {
	l := newLive(t, Options{})
	ctx := context.Background()
	if err := l.q.SetFailRate(ctx, 0.2); err != nil {
		t.Fatal(err)
	}
	if err := l.q.SetPace(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := l.q.SetPaused(ctx, true); err != nil {
		t.Fatal(err)
	}
	l.refresh()
	requireContains(t, screen(l.m), "failure injection 20% is on (set by another dashboard)")
	for _, want := range []string{"pace 1s is on", "workers are paused"} {
		if !strings.Contains(l.m.footer.Status(), want) {
			t.Fatalf("status %q lacks %q", l.m.footer.Status(), want)
		}
	}
	if msg := l.key("q"); msg != (tea.QuitMsg{}) {
		t.Fatalf("q: got %T", msg)
	}
	if fail, pace, paused := l.config3(); fail != "0.2" || pace != "1000" || paused != "1" {
		t.Fatalf("quit changed another's switches: fail_rate %q pace_ms %q paused %q", fail, pace, paused)
	}
}

func TestNextPace(t *testing.T) {
	for _, c := range []struct {
		cur  time.Duration
		dir  int
		want time.Duration
	}{
		{0, 1, 250 * time.Millisecond}, {0, -1, 0}, {2 * time.Second, 1, 2 * time.Second},
		{600 * time.Millisecond, 1, time.Second}, {600 * time.Millisecond, -1, 500 * time.Millisecond},
		{250 * time.Millisecond, -1, 0},
	} {
		if got := nextPace(c.cur, c.dir); got != c.want {
			t.Errorf("nextPace(%s, %d) = %s, want %s", c.cur, c.dir, got, c.want)
		}
	}
}
