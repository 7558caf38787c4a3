package sshview

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC
	// Every session, the server and the feed end when a test closes them.
	goleak.VerifyTestMain(m)
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

// dial connects as user with password pw and returns the client and the
// host key the server showed.
func dial(addr, user, pw string) (*gossh.Client, gossh.PublicKey, error) {
	var hostKey gossh.PublicKey
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: user,
		Auth: []gossh.AuthMethod{gossh.Password(pw)},
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
			hostKey = k
			return nil
		},
		Timeout: 10 * time.Second,
	})
	return c, hostKey, err
}

// viewer is a student's terminal: an SSH session with a pty whose output goes
// into a terminal emulator, so the test reads the screen the student sees.
type viewer struct {
	t      *testing.T
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser
	term   *vt.SafeEmulator
	wg     sync.WaitGroup
	ended  chan error
}

func openViewer(t *testing.T, addr, user, command string, w, h int) *viewer {
	t.Helper()
	c, _, err := dial(addr, user, testPassword)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	v := &viewer{t: t, client: c, sess: sess, stdin: stdin, term: vt.NewSafeEmulator(w, h), ended: make(chan error, 1)}
	v.wg.Add(2)
	go func() { defer v.wg.Done(); _, _ = io.Copy(v.term, stdout) }()
	// The terminal's answers to the program's queries go back as input.
	go func() { defer v.wg.Done(); _, _ = io.Copy(stdin, v.term) }()
	if command == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(command)
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { v.ended <- sess.Wait() }()
	t.Cleanup(v.close)
	return v
}

func (v *viewer) screen() string { return ansi.Strip(v.term.Render()) }

// waitFor polls the screen until it shows every string of want. The bound is
// generous (a loaded machine is slow); the test is about what shows, not when.
func (v *viewer) waitFor(want ...string) string {
	v.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := v.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("the viewer's screen never showed %q:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (v *viewer) press(keys string) {
	v.t.Helper()
	if _, err := io.WriteString(v.stdin, keys); err != nil {
		v.t.Fatalf("press %q: %v", keys, err)
	}
}

func (v *viewer) close() {
	_ = v.sess.Close()
	_ = v.client.Close()
	// Closing the emulator's input pipe ends the copy that reads it (its
	// Close races with a Read in progress).
	if c, ok := v.term.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
	v.wg.Wait()
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
	v := openViewer(t, r.srv.Addr().String(), "ana", "", 120, 36)
	v.waitFor("sshq", "connected")
	enqueue(t, r.q, "live", 3)
	v.waitFor("live_02.jpg")
	before, err := r.q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// enqueue, a batch, flush (and yes), failure injection, requeue, stuck,
	// scale, pause, MONITOR
	v.press("eEfyxrS+-pm")
	v.waitFor("read-only viewer")
	enqueue(t, r.q, "after", 1) // a marker: the viewer's keys were all handled before it shows
	v.waitFor("after_00.jpg")
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
	v.press("q")
	if err := <-v.ended; err != nil {
		t.Fatalf("session ended with %v", err)
	}
}

// Each viewer has its own language and size: `ssh es@host` reads Spanish at
// 80×24 while another reads English at 200×50, from the same feed.
func TestViewersHaveTheirOwnLanguageAndSize(t *testing.T) {
	r := newRoom(t)
	es := openViewer(t, r.srv.Addr().String(), "es", "", 80, 24)
	en := openViewer(t, r.srv.Addr().String(), "ana", "", 200, 50)
	enqueue(t, r.q, "both", 2)
	es.waitFor("both_01.jpg", "Cola")
	en.waitFor("both_01.jpg", "Queue")
	if n := r.feed.Subscribers(); n != 2 {
		t.Fatalf("%d feed subscribers for 2 viewers", n)
	}
	// Closing the server ends every session.
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	<-es.ended
	<-en.ended
	r.srv = nil
}

func TestWrongPasswordIsRefused(t *testing.T) {
	r := newRoom(t)
	for _, pw := range []string{"", "wrong", testPassword + "x"} {
		c, _, err := dial(r.srv.Addr().String(), "ana", pw)
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
	c, first, err := dial(r.srv.Addr().String(), "ana", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	r.start()
	c, second, err := dial(r.srv.Addr().String(), "ana", testPassword)
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
