package sshview

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/internal/sshview/sshviewtest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	// Every session, the server and the feed end when a test closes them.
	// One exception, Bubble Tea's (v2.1.1 on ultraviolet): bytes a viewer's
	// terminal sends as its program quits (the answer to the background-colour
	// query, a last key) are parsed into events that its input reader sends on
	// the program's message channel without watching the program's context, so
	// that goroutine stays blocked once nobody reads (seen once in CI). It is
	// the library's, one per such session; everything of ours is still checked.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/ultraviolet.(*TerminalReader).sendEvents"))
}

const testPassword = "pw-for-this-run"

// room is a dashboard run's shared part on a real redis-server: the queue,
// the one feed, and the SSH server serving viewers on loopback.
type room struct {
	t       *testing.T
	q       *queue.Queue
	feed    *tui.Feed
	srv     *Server
	keyPath string
}

func newRoom(t *testing.T) *room {
	t.Helper()
	rs := redistest.Start(t, redistest.Options{})
	q, err := queue.New(rs.Client(t), queue.Options{Name: "sshq"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := tui.NewFeed(q, 50*time.Millisecond)
	f.Start(ctx)
	r := &room{t: t, q: q, feed: f, keyPath: filepath.Join(t.TempDir(), "imgq", "ssh_host_ed25519")}
	r.start()
	t.Cleanup(func() {
		if r.srv != nil {
			_ = r.srv.Close()
		}
		cancel()
		f.Stop()
	})
	return r
}

func (r *room) start() {
	r.t.Helper()
	srv, err := Start(context.Background(), Options{
		Addr: "127.0.0.1:0", HostKeyPath: r.keyPath, Password: testPassword,
		Dashboard: tui.Options{Queue: r.q, Feed: r.feed, RedisAddr: "127.0.0.1:6379", Lang: "en",
			// Whatever a viewer presses, this must never run.
			Enqueue: func(context.Context, int) (int, error) {
				r.t.Error("a viewer enqueued")
				return 0, nil
			}},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = srv
}

func enqueue(t *testing.T, q *queue.Queue, prefix string, n int) {
	t.Helper()
	ts := make([]queue.NewTask, n)
	for i := range ts {
		ts[i] = queue.NewTask{Name: fmt.Sprintf("%s_%02d.jpg", prefix, i), Payload: []byte(`{}`)}
	}
	if _, err := q.EnqueueBatch(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

// A student connects with the run's password, sees the live queue, and the
// keys that would change it do nothing but say so.
func TestViewerSeesTheLiveQueueAndCannotChangeIt(t *testing.T) {
	r := newRoom(t)
	v := sshviewtest.Open(t, r.srv.Addr().String(), "ana", testPassword, "", 120, 36)
	v.WaitFor("sshq", "connected")
	enqueue(t, r.q, "live", 3)
	v.WaitFor("live_02.jpg")
	before, err := r.q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// enqueue, a batch, flush (and yes), failure injection, requeue, stuck,
	// scale, pause, MONITOR
	v.Press("eEfyxrS+-pm")
	v.WaitFor("read-only viewer")
	enqueue(t, r.q, "after", 1) // a marker: the viewer's keys were all handled before it shows
	v.WaitFor("after_00.jpg")
	after, err := r.q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after.Pending != before.Pending+1 || after.FailRate != 0 || after.Totals.Enqueued != before.Totals.Enqueued+1 {
		t.Fatalf("the viewer changed the queue: pending %d → %d, fail rate %v, enqueued %d → %d",
			before.Pending, after.Pending, after.FailRate, before.Totals.Enqueued, after.Totals.Enqueued)
	}
	if n := r.srv.Sessions(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
	// q ends the viewer's session, not the server.
	v.Press("q")
	if err := <-v.Ended; err != nil {
		t.Fatalf("session ended with %v", err)
	}
}

// Each viewer has its own language and size: `ssh es@host` reads Spanish at
// 80×24 while another reads English at 200×50, from the same feed.
func TestViewersHaveTheirOwnLanguageAndSize(t *testing.T) {
	r := newRoom(t)
	es := sshviewtest.Open(t, r.srv.Addr().String(), "es", testPassword, "", 80, 24)
	en := sshviewtest.Open(t, r.srv.Addr().String(), "ana", testPassword, "", 200, 50)
	enqueue(t, r.q, "both", 2)
	es.WaitFor("both_01.jpg", "Cola")
	en.WaitFor("both_01.jpg", "Queue")
	if n := r.feed.Subscribers(); n != 2 {
		t.Fatalf("%d feed subscribers for 2 viewers", n)
	}
	// Closing the server ends every session.
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	<-es.Ended
	<-en.Ended
	r.srv = nil
}

func TestWrongPasswordIsRefused(t *testing.T) {
	r := newRoom(t)
	for _, pw := range []string{"", "wrong", testPassword + "x"} {
		c, _, err := sshviewtest.Dial(r.srv.Addr().String(), "ana", pw)
		if err == nil {
			_ = c.Close()
			t.Fatalf("password %q was accepted", pw)
		}
		if !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("password %q: %v", pw, err)
		}
	}
}

// The host key is made on first use and kept, so students' known_hosts stay
// valid across lessons.
func TestHostKeyIsKeptAcrossRestarts(t *testing.T) {
	r := newRoom(t)
	c, first, err := sshviewtest.Dial(r.srv.Addr().String(), "ana", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	r.start()
	c, second, err := sshviewtest.Dial(r.srv.Addr().String(), "ana", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if first == nil || !bytes.Equal(first.Marshal(), second.Marshal()) {
		t.Fatalf("host key changed across restarts: %s → %s", gossh.FingerprintSHA256(first), gossh.FingerprintSHA256(second))
	}
	if first.Type() != gossh.KeyAlgoED25519 {
		t.Fatalf("host key type %s", first.Type())
	}
}

func TestSessionLang(t *testing.T) {
	for _, c := range []struct {
		user string
		cmd  []string
		want string
	}{
		{"ana", nil, ""},
		{"es", nil, "es"},
		{"ana", []string{"es"}, "es"},
		{"ES", nil, "es"},
		{"es", []string{"en"}, "en"},
		{"ana", []string{"fr"}, ""},
	} {
		if got := sessionLang(c.user, c.cmd); got != c.want {
			t.Errorf("sessionLang(%q, %q) = %q, want %q", c.user, c.cmd, got, c.want)
		}
	}
}
