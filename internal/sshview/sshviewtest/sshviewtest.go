// Package sshviewtest is a student's terminal for tests: a Go SSH client on
// loopback whose session output goes into a terminal emulator, so a test reads
// the screen the student sees and types keys as they would.
package sshviewtest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// Dial connects as user with password pw and returns the client and the host
// key the server showed (accepted whatever it is: the tests compare it).
func Dial(addr, user, pw string) (*gossh.Client, gossh.PublicKey, error) {
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

// Viewer is one student's SSH session with a pty of w×h.
type Viewer struct {
	t      testing.TB
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser
	term   *vt.SafeEmulator
	wg     sync.WaitGroup
	// Ended receives the session's end (nil for a clean exit).
	Ended chan error
}

// Open starts a viewer session (a shell, or command when not "") and closes
// it at the test's cleanup.
func Open(t testing.TB, addr, user, pw, command string, w, h int) *Viewer {
	t.Helper()
	c, _, err := Dial(addr, user, pw)
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
	v := &Viewer{t: t, client: c, sess: sess, stdin: stdin, term: vt.NewSafeEmulator(w, h), Ended: make(chan error, 1)}
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
	go func() { v.Ended <- sess.Wait() }()
	t.Cleanup(v.Close)
	return v
}

// Screen is the text on the viewer's screen.
func (v *Viewer) Screen() string { return ansi.Strip(v.term.Render()) }

// WaitFor polls the screen until it shows every string of want. The bound is
// generous (a loaded machine is slow): the tests are about what shows, not when.
func (v *Viewer) WaitFor(want ...string) string {
	v.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := v.Screen()
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

// Press types keys.
func (v *Viewer) Press(keys string) {
	v.t.Helper()
	if _, err := io.WriteString(v.stdin, keys); err != nil {
		v.t.Fatalf("press %q: %v", keys, err)
	}
}

// Close ends the session and waits for the copies.
func (v *Viewer) Close() {
	_ = v.sess.Close()
	_ = v.client.Close()
	// Closing the emulator's input pipe ends the copy that reads it (its
	// Close races with a Read in progress).
	if c, ok := v.term.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
	v.wg.Wait()
}
