// Package redistest starts real redis-server processes for tests.
//
// Every test of Redis behaviour in imgq talks to a real server started here, on a
// free loopback port with its own temporary folder, never to the embedded
// miniredis: the point of those tests is to prove what Redis itself does.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options tune the server a test needs. The zero value is a plain, non-persistent server.
type Options struct {
	Password   string   // requirepass
	AppendOnly bool     // appendonly yes + appendfsync always, for restart tests
	Args       []string // extra "--name value" arguments, passed through
	Port       int      // 0 picks a free port
}

// Server is one running redis-server owned by a test.
type Server struct {
	t    testing.TB
	opts Options
	Dir  string
	Port int

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Binary is the redis-server the tests run; REDIS_SERVER overrides it.
func Binary() string {
	if b := os.Getenv("REDIS_SERVER"); b != "" {
		return b
	}
	return "redis-server"
}

// Start launches a redis-server and stops it when the test ends. It fails the test
// (it does not skip) when redis-server is missing: .ci/run installs it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if _, err := exec.LookPath(Binary()); err != nil {
		t.Fatalf("redistest: %s not found (install Debian's redis-server; .ci/run does): %v", Binary(), err)
	}
	s := &Server{t: t, opts: opts, Dir: t.TempDir(), Port: opts.Port}
	if s.Port == 0 {
		s.Port = FreePort(t)
	}
	if err := s.start(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Kill)
	return s
}

// FreePort asks the kernel for a loopback port that is free right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) args() []string {
	a := []string{
		"--port", strconv.Itoa(s.Port),
		"--bind", "127.0.0.1",
		"--dir", s.Dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.Dir, "redis.log"),
	}
	if s.opts.AppendOnly {
		a = append(a, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		a = append(a, "--appendonly", "no")
	}
	if s.opts.Password != "" {
		a = append(a, "--requirepass", s.opts.Password)
	}
	return append(a, s.opts.Args...)
}

func (s *Server) start() error {
	cmd := exec.Command(Binary(), s.args()...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Binary(), err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("redis-server exited at start (%v): %s", err, s.logTail())
		default:
		}
		if s.ping() == nil {
			// Keep reaping the process in the background; Kill waits on done.
			go func() { <-done; close(s.exited(cmd)) }()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return fmt.Errorf("redis-server did not answer on port %d within 10s: %s", s.Port, s.logTail())
}

var exitChans sync.Map // *exec.Cmd -> chan struct{}

func (s *Server) exited(cmd *exec.Cmd) chan struct{} {
	ch, _ := exitChans.LoadOrStore(cmd, make(chan struct{}))
	return ch.(chan struct{})
}

func (s *Server) ping() error {
	c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	cmd := "PING\r\n"
	if s.opts.Password != "" {
		cmd = fmt.Sprintf("AUTH %s\r\nPING\r\n", s.opts.Password)
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "+PONG") {
			return nil
		}
		if strings.HasPrefix(line, "-") {
			return errors.New(strings.TrimSpace(line))
		}
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// URL is a redis:// URL for the server, with the password when there is one.
func (s *Server) URL() string {
	if s.opts.Password != "" {
		return fmt.Sprintf("redis://:%s@%s/0", s.opts.Password, s.Addr())
	}
	return fmt.Sprintf("redis://%s/0", s.Addr())
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: s.opts.Password})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redistest: ping %s: %v", s.Addr(), err)
	}
	return c
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.exited(cmd):
	case <-time.After(5 * time.Second):
	}
}

// Restart starts the server again on the same port and folder (after Kill), so an
// append-only file written before the crash is replayed.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}
