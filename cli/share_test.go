package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/internal/sshview/sshviewtest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
)

// The stderr line of a shared embedded Redis names the URL that works: with
// this run's password (students who copied it without got NOAUTH).
func TestSharedEmbeddedJoinLineCarriesThePassword(t *testing.T) {
	var errOut bytes.Buffer
	g := &globals{queueName: "image_processing", redisURL: redisconn.Embedded, errOut: &errOut}
	// bindAll false: the test listens on loopback only; the line is the same.
	conn, _, err := g.connect(context.Background(), true, &shareOpts{password: "pw123"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := regexp.MustCompile(`join with --redis (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil || !strings.HasPrefix(m[1], "redis://:pw123@127.0.0.1:") {
		t.Fatalf("join line: %q", errOut.String())
	}
	// The URL it names works.
	c2, err := redisconn.Connect(context.Background(), redisconn.Options{URL: m[1]})
	if err != nil {
		t.Fatalf("joining with %s: %v", m[1], err)
	}
	c2.Close()
}

func TestShareWithAPasswordlessRedisWarns(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	g := &globals{queueName: "image_processing", redisURL: "redis://" + srv.Addr() + "/0", errOut: &bytes.Buffer{}}
	conn, _, err := g.connect(context.Background(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := shareWarning(g, conn, true)
	if !strings.Contains(w, "has no password") || !strings.Contains(w, "requirepass") {
		t.Fatalf("warning %q", w)
	}
	if !strings.Contains(joinLine(g, conn, nil, true)+shareNote(g, conn, true), "warning: this Redis has no password") {
		t.Fatal("the dashboard's join line does not warn")
	}
	if w := shareWarning(g, conn, false); w != "" {
		t.Fatalf("without --share: %q", w)
	}
	g.redisURL = "redis://:secret@127.0.0.1:1/0"
	if w := shareWarning(g, &redisconn.Conn{}, true); w != "" {
		t.Fatalf("with a password: %q", w)
	}
	emb := &redisconn.Conn{Embedded: &redisconn.EmbeddedServer{Addr: "127.0.0.1:6390"}}
	if w := shareWarning(g, emb, true); w != "" {
		t.Fatalf("embedded (has its generated password): %q", w)
	}
}

// --share serves read-only dashboards over SSH with the run's password and
// puts the line students type first in the join line.
func TestShareServesSSHViewers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q, err := queue.New(srv.Client(t), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the host key goes there
	opts := tui.Options{Queue: q, JoinLine: "imgq worker …"}
	d := &dashFlags{share: true, sshAddr: "127.0.0.1:0"}
	stop, err := startViewers(context.Background(), d, &shareOpts{password: "pw123"}, &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	m := regexp.MustCompile(`^watch: ssh -p (\d+) \S+ \(password pw123\)   ·   imgq worker …$`).FindStringSubmatch(opts.JoinLine)
	if m == nil || opts.Feed == nil {
		t.Fatalf("join line %q, feed %v", opts.JoinLine, opts.Feed)
	}
	c, _, err := sshviewtest.Dial("127.0.0.1:"+m[1], "ana", "pw123")
	if err != nil {
		t.Fatalf("the join line's password: %v", err)
	}
	_ = c.Close()

	// --ssh-addr "" serves none.
	none := tui.Options{JoinLine: "x"}
	stop2, err := startViewers(context.Background(), &dashFlags{share: true}, nil, &none)
	if err != nil || none.JoinLine != "x" || none.Feed != nil {
		t.Fatalf("--ssh-addr \"\": %v, %q", err, none.JoinLine)
	}
	stop2()
}

func TestJoinHostNamesTheBoundAddress(t *testing.T) {
	for _, tc := range []struct{ bound, want string }{
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
	} {
		if got := joinHost(tc.bound); got != tc.want {
			t.Errorf("joinHost(%q) = %q, want %q", tc.bound, got, tc.want)
		}
	}
	for _, any := range []string{"0.0.0.0", "::"} {
		if got := joinHost(any); got != lanIP() {
			t.Errorf("joinHost(%q) = %q, want the LAN address %q", any, got, lanIP())
		}
	}
}
