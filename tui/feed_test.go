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
	"github.com/imgq/imgq/tui/components/failed"
)

// feedModel is a model subscribed to f, driven by hand: next takes one
// delivery of the feed and shows it, as the program would.
type feedModel struct {
	t *testing.T
	m *Model
}

func newFeedModel(t *testing.T, ctx context.Context, f *Feed, q *queue.Queue, opts Options) *feedModel {
	t.Helper()
	opts.Queue, opts.Feed, opts.RedisAddr = q, f, "127.0.0.1:6379"
	m := newModel(ctx, opts, time.Now)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	m.subscribe()
	return &feedModel{t: t, m: m}
}

// startFeed is a running Feed on a queue of its own on a real redis-server,
// stopped (with its context) when the test ends.
func startFeed(t *testing.T, name string) (*queue.Queue, *Feed, context.Context) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	q, err := queue.New(srv.Client(t), queue.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := NewFeed(q, 20*time.Millisecond)
	f.Start(ctx)
	t.Cleanup(func() { f.Stop(); cancel() })
	return q, f, ctx
}

func (fm *feedModel) next() feedMsg {
	fm.t.Helper()
	msg := waitFeed(fm.m.ctx, fm.m.opts.Feed, fm.m.sub)()
	fmsg, ok := msg.(feedMsg)
	if !ok {
		fm.t.Fatalf("waitFeed returned %T", msg)
	}
	if cmd := fm.m.onFeed(fmsg); !fmsg.closed && cmd == nil {
		fm.t.Fatal("onFeed did not wait for the next delivery")
	}
	return fmsg
}

// until takes deliveries until the model shows want (bounded by count, not time).
func (fm *feedModel) until(want ...string) {
	fm.t.Helper()
	for range 2000 {
		fm.next()
		s := screen(fm.m)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
	}
	fm.t.Fatalf("the model never showed %q:\n%s", want, screen(fm.m))
}

// Every model subscribed to one feed sees the same live queue, and none of
// them reads Redis for it: their stats results schedule no read of their own.
func TestFeedServesEveryModel(t *testing.T) {
	q, f, ctx := startFeed(t, "feedq")

	teacher := newFeedModel(t, ctx, f, q, Options{})
	viewer := newFeedModel(t, ctx, f, q, Options{ReadOnly: true, Lang: "es"})
	if n := f.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}
	ts := make([]queue.NewTask, 7)
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprintf("feed_%02d.jpg", i), Payload: []byte(`{}`)}
	}
	if _, err := q.EnqueueBatch(ctx, ts); err != nil {
		t.Fatal(err)
	}
	for _, fm := range []*feedModel{teacher, viewer} {
		fm.until("feed_06.jpg")
		for fm.m.track.Last.Pending != 7 {
			fm.next()
		}
	}
	// A model with a feed schedules no stats read of its own.
	teacher.m.needInfo = false
	if cmd := teacher.m.onStats(statsMsg{stats: teacher.m.track.Last}); cmd != nil {
		t.Fatal("a model on a feed scheduled its own stats read")
	}

	// One who joins later starts with the newest stats and the recent events.
	late := newFeedModel(t, ctx, f, q, Options{})
	first := late.next()
	if first.stats == nil || first.stats.stats.Pending != 7 || len(first.events) < 7 {
		t.Fatalf("late subscriber's first delivery: stats %v, %d events", first.stats != nil, len(first.events))
	}
	requireContains(t, screen(late.m), "feed_06.jpg")

	// A model whose context ended is no longer served.
	lctx, lcancel := context.WithCancel(ctx)
	gone := newFeedModel(t, lctx, f, q, Options{})
	lcancel()
	for i := 0; f.Subscribers() != 3; i++ {
		if i > 5000 {
			t.Fatalf("a model whose context ended is still subscribed (%d)", f.Subscribers())
		}
		time.Sleep(time.Millisecond) // context.AfterFunc runs on its own goroutine
	}
	if msg := waitFeed(gone.m.ctx, f, gone.m.sub)(); msg != nil {
		// its context ended: the wait returns at once, with nothing
		t.Fatalf("a wait after the end returned %T", msg)
	}

	// Stop tells the subscribers that nothing more comes.
	f.Stop()
	for !teacher.next().closed {
	}
}

// A viewer cannot change the queue: every such key is locked, says so, and
// is not offered in the footer.
func TestReadOnlyViewerKeys(t *testing.T) {
	pool := &fakePool{n: 3}
	enqueued := 0
	m, _ := fixture(t, 200, 50, 3, Options{ReadOnly: true, Workers: pool,
		Enqueue: func(context.Context, int) (int, error) { enqueued++; return 1, nil }})
	for _, k := range []string{"e", "E", "f", "+", "-", "p", "x", "r", "S", "m"} {
		if cmd := press(m, k); cmd != nil {
			run(t, cmd)
		}
		requireContains(t, screen(m), "read-only viewer")
		if m.footer.Asking() || m.mon.on {
			t.Fatalf("%s: asked or started MONITOR", k)
		}
	}
	if enqueued != 0 || pool.n != 3 || pool.paused {
		t.Fatalf("viewer changed things: enqueued %d, pool %d, paused %v", enqueued, pool.n, pool.paused)
	}
	if m.update(failed.RequeueMsg{}) != nil {
		t.Fatal("a viewer's failed view requeued")
	}
	// Looking around still works: the help, the failed list, the find prompt.
	press(m, "?")
	s := screen(m)
	requireContains(t, s, "Help", "failed tasks", "find task")
	for _, hidden := range []string{"enqueue 15", "add worker", "fail 20%"} {
		if strings.Contains(s, hidden) {
			t.Fatalf("the viewer's help offers %q:\n%s", hidden, s)
		}
	}

	// The teacher's model keeps every key.
	tm, _ := fixture(t, 200, 50, 3, Options{Workers: pool})
	press(tm, "+")
	if strings.Contains(screen(tm), "read-only viewer") {
		t.Fatal("the teacher's model is read-only")
	}
}

// A student's viewer takes the feed at most twice a second (each delivery
// redraws its whole screen); what the feed published meanwhile, it gets in one
// delivery, so spacing the frames loses no event. The teacher's model waits
// for nothing. (Only lower bounds on time are checked.)
func TestViewerDeliveriesAreSpaced(t *testing.T) {
	q, f, ctx := startFeed(t, "spacedq")
	viewer := newFeedModel(t, ctx, f, q, Options{ReadOnly: true})
	viewer.next() // the first delivery comes at once
	ts := make([]queue.NewTask, 5)
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprintf("spaced_%d.jpg", i), Payload: []byte(`{}`)}
	}
	if _, err := q.EnqueueBatch(ctx, ts); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := viewer.m.onFeed(feedMsg{sub: viewer.m.sub})
	if cmd == nil {
		t.Fatal("the viewer does not wait for its next delivery")
	}
	var got feedMsg
	for {
		msg, ok := cmd().(feedMsg)
		if !ok {
			t.Fatalf("the viewer's wait returned %T", msg)
		}
		if took := time.Since(start); took < viewerFrame {
			t.Fatalf("a viewer's delivery came after %s, before its %s frame", took, viewerFrame)
		}
		got.events = append(got.events, msg.events...)
		if len(got.events) >= 5 {
			break
		}
		start = time.Now()
		cmd = waitFeedAfter(ctx, f, viewer.m.sub, viewerFrame)
	}
	names := map[string]bool{}
	for _, e := range got.events {
		names[e.Name] = true
	}
	for i := range 5 {
		if n := fmt.Sprintf("spaced_%d.jpg", i); !names[n] {
			t.Fatalf("event of %s lost across the spaced deliveries: %+v", n, got.events)
		}
	}
}
