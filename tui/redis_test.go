package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/components/header"
)

// live is a model on a real redis-server, driven by hand: each test runs the
// commands it cares about and feeds their messages back, as the program would.
type live struct {
	t   *testing.T
	srv *redistest.Server
	q   *queue.Queue
	m   *Model
}

func newLive(t *testing.T, opts Options) *live {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	q, err := queue.New(srv.Client(t), queue.Options{Name: "t", WorkerTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opts.Queue = q
	opts.RedisAddr = srv.Addr()
	if opts.Enqueue == nil {
		opts.Enqueue = func(ctx context.Context, n int) (int, error) {
			ts := make([]queue.NewTask, n)
			for i := range ts {
				ts[i] = queue.NewTask{Name: fmt.Sprintf("img_%02d.jpg", i), Payload: []byte(`{"filters":["grayscale"]}`)}
			}
			ids, err := q.EnqueueBatch(ctx, ts)
			return len(ids), err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := newModel(ctx, opts, time.Now)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	return &live{t: t, srv: srv, q: q, m: m}
}

// refresh runs one stats read and one non-blocking look at the event stream.
func (l *live) refresh() {
	l.t.Helper()
	l.m.Update(fetchStats(l.m.ctx, l.q)())
	if l.m.after == "" {
		l.m.update(readEvents(l.m.ctx, l.q, "")())
		return
	}
	evs, err := l.q.ReadEvents(l.m.ctx, l.m.after, 500, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	if len(evs) > 0 {
		l.m.update(eventsMsg{events: evs, after: evs[len(evs)-1].ID})
	}
}

// key presses k and feeds back what its command returns, following a chain
// of up to three commands (enter → open → fetch task). Returns the first message.
func (l *live) key(k string) tea.Msg {
	l.t.Helper()
	cmd := press(l.m, k)
	var first tea.Msg
	for i := 0; i < 3 && cmd != nil; i++ {
		msg := cmd()
		if first == nil {
			first = msg
		}
		_, cmd = l.m.Update(msg)
	}
	return first
}

func TestLiveEnqueueFlushAndEvents(t *testing.T) {
	l := newLive(t, Options{})
	l.refresh()
	l.key("e")
	l.key("E")
	l.refresh()
	s := screen(l.m)
	requireContains(t, s, "enqueued 15 tasks", "v"+"", "● connected")
	if got := l.m.track.Last.Pending; got != 16 {
		t.Fatalf("pending %d, want 16", got)
	}
	if n := len(l.m.events.Events()); n != 16 {
		t.Fatalf("%d events, want 16 enqueued", n)
	}
	l.key("f")
	l.key("y")
	l.refresh()
	if l.m.track.Last.PendingTotal() != 0 {
		t.Fatal("flush left pending tasks")
	}
	requireContains(t, screen(l.m), "flushed t (", "flushed")
}

func TestLiveFailureInjectionRequeueFailedAndDetail(t *testing.T) {
	l := newLive(t, Options{})
	l.refresh()
	l.key("x")
	l.refresh()
	if l.m.track.Last.FailRate != failRate {
		t.Fatalf("fail rate %v after x, want %v", l.m.track.Last.FailRate, failRate)
	}
	requireContains(t, screen(l.m), "fail injection 20%")
	l.key("x")
	l.refresh()
	if l.m.track.Last.FailRate != 0 {
		t.Fatal("x did not switch failure injection off")
	}

	// Dead-letter one task for real: claim it and fail it permanently.
	ctx := context.Background()
	id, _, err := l.q.Enqueue(ctx, queue.NewTask{Name: "bad\x1b[31m.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	w := queue.WorkerInfo{ID: "w-1", Instance: "i", Host: "h", PID: 1, Concurrency: 1}
	if err := l.q.Register(ctx, w); err != nil {
		t.Fatal(err)
	}
	cl, err := l.q.Claim(ctx, "w-1", 1)
	if err != nil || len(cl) != 1 {
		t.Fatalf("claim: %v %v", cl, err)
	}
	if err := l.q.Fail(ctx, "w-1", cl[0], queue.Permanent(fmt.Errorf("corrupt image")), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	l.refresh()
	l.key("F")
	s := screen(l.m)
	requireContains(t, s, "Failed tasks", id, "corrupt image", "1/3")
	if strings.Contains(l.m.View().Content, "\x1b[31m.jpg") {
		t.Fatal("the task name's escape reached the screen")
	}
	// enter opens the detail of the selected task.
	l.key("enter")
	requireContains(t, screen(l.m), "Task "+id, "failed", "corrupt image")
	press(l.m, "esc")
	l.key("r")
	l.refresh()
	if l.m.track.Last.Failed != 0 || l.m.track.Last.Pending != 1 {
		t.Fatalf("after r: failed %d pending %d", l.m.track.Last.Failed, l.m.track.Last.Pending)
	}
	// The find prompt takes a prefix.
	press(l.m, "esc", "/")
	for _, r := range id[:9] {
		press(l.m, string(r))
	}
	l.key("enter")
	requireContains(t, screen(l.m), "Task "+id, "pending")
	// Requeue-all from the main screen with nothing failed says 0.
	press(l.m, "esc")
	l.key("r")
	requireContains(t, screen(l.m), "requeued 0 tasks")
}

func TestLiveMonitorAgainstRedisServer(t *testing.T) {
	l := newLive(t, Options{})
	started := run(t, press(l.m, "m")).(monitorStartedMsg)
	l.m.update(started)
	if started.err != nil {
		t.Fatalf("MONITOR refused by redis-server: %v", started.err)
	}
	wait := waitMonitor(started.lines, started.gen)
	if _, _, err := l.q.Enqueue(context.Background(), queue.NewTask{Name: "cat.jpg"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(screen(l.m), "HSET") {
		if time.Now().After(deadline) {
			t.Fatalf("no HSET from the enqueue script in MONITOR:\n%s", screen(l.m))
		}
		wait = l.m.update(wait())
	}
	requireContains(t, screen(l.m), "MONITOR", "EVAL")
	press(l.m, "m")
	done := make(chan struct{})
	go func() { l.m.mon.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the MONITOR reader goroutine did not end after m")
	}
	if _, ok := <-started.lines; ok {
		// drain anything buffered; the channel must end closed
		for range started.lines {
		}
	}
}

func TestLiveMonitorRefusedIsShown(t *testing.T) {
	// A server that renames MONITOR away refuses it the way managed services do.
	srv := redistest.Start(t, redistest.Options{Args: []string{"--rename-command", "MONITOR", ""}})
	q, _ := queue.New(srv.Client(t), queue.Options{Name: "t"})
	m := newModel(context.Background(), Options{Queue: q}, time.Now)
	msg := run(t, press(m, "m"))
	m.Update(msg)
	requireContains(t, screen(m), "MONITOR is not available")
}

func TestLiveSurvivesRedisRestart(t *testing.T) {
	l := newLive(t, Options{})
	l.refresh()
	if l.m.conn != header.Connected {
		t.Fatal("not connected at start")
	}
	l.srv.Kill()
	l.m.Update(fetchStats(l.m.ctx, l.q)())
	if l.m.conn != header.Disconnected {
		t.Fatal("a dead server did not show as disconnected")
	}
	requireContains(t, screen(l.m), "disconnected, retrying in")
	if msg := readEvents(l.m.ctx, l.q, "0")(); msg.(eventsMsg).err == nil {
		t.Fatal("reading events from a dead server did not fail")
	}
	l.srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for l.m.conn != header.Connected && time.Now().Before(deadline) {
		l.m.Update(fetchStats(l.m.ctx, l.q)())
		time.Sleep(50 * time.Millisecond)
	}
	if l.m.conn != header.Connected {
		t.Fatal("did not reconnect after the server came back")
	}
	requireContains(t, screen(l.m), "● connected")
}

// A crashed course worker left two claims in processing (the course's hash,
// no imgq lease) with started_at two minutes ago: the dashboard counts them
// stuck, S puts them back the course's way, and the refresh shows them pending.
func TestLiveRequeueStuckKey(t *testing.T) {
	l := newLive(t, Options{})
	ctx := context.Background()
	rdb, k := l.q.Client(), l.q.Keys()
	ids := []string{"task-dead0000000000a1", "task-dead0000000000a2"}
	old := fmt.Sprint(float64(time.Now().Add(-2*time.Minute).UnixMicro()) / 1e6)
	for _, id := range ids {
		rdb.HSet(ctx, k.TaskPrefix()+id, "id", id, "data", `{"name":"`+id+`.jpg","image_path":"images/x.jpg","output_path":"output/x.jpg"}`,
			"status", "processing", "worker_id", "py-crashed", "created_at", old, "started_at", old)
		rdb.HSet(ctx, k.Processing, id, "py-crashed")
	}
	l.refresh()
	requireContains(t, screen(l.m), "▲ stuck 2 (S)", "S requeue stuck")
	msg, ok := l.key("S").(stuckRequeuedMsg)
	if !ok || msg.err != nil || msg.n != 2 {
		t.Fatalf("S: %+v", msg)
	}
	requireContains(t, screen(l.m), "requeued 2 stuck task(s)")
	l.refresh()
	if s := l.m.track.Last; s.Pending != 2 || s.Processing != 0 || len(s.Foreign) != 0 {
		t.Fatalf("after S: pending %d processing %d foreign %v", s.Pending, s.Processing, s.Foreign)
	}
	if strings.Contains(screen(l.m), "stuck 2") {
		t.Fatal("the stuck count stays after the requeue")
	}
	if got := rdb.HGet(ctx, k.TaskPrefix()+ids[0], "status").Val(); got != "pending" {
		t.Fatalf("record status %q after S", got)
	}
}

// An older imgq's processing LIST on a live server: the refresh shows which
// key, its type and the fix, never "disconnected", and after the fix (flush)
// the dashboard is connected again.
func TestLiveLayoutClashIsShownNotDisconnected(t *testing.T) {
	l := newLive(t, Options{})
	ctx := context.Background()
	rdb, k := l.q.Client(), l.q.Keys()
	rdb.RPush(ctx, k.Processing, "task-old")
	l.refresh()
	if l.m.conn != header.Clash {
		t.Fatalf("conn %v, want Clash", l.m.conn)
	}
	s := screen(l.m)
	if strings.Contains(s, "disconnected") {
		t.Fatalf("a clash shows as disconnected:\n%s", s)
	}
	requireContains(t, s, "▲ wrong key type", k.Processing+" is a list, imgq expects a hash")
	requireContains(t, strings.Join(strings.Fields(s), " "), "imgq flush --queue t")
	checkSize(t, l.m, 120, 36)
	if _, err := l.q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	l.refresh()
	if l.m.conn != header.Connected || strings.Contains(screen(l.m), "wrong key type") {
		t.Fatalf("not connected after the fix:\n%s", screen(l.m))
	}
}
