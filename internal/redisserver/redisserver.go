// Package redisserver starts and stops a private redis-server child process: a
// free loopback port, its own folder, no persistence unless asked. The tests
// (internal/redistest) and the benchmarks (imgq bench, bench/cmd/queuebench)
// all start their servers through it.
package redisserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/proc"
)

// Options describe the server. The zero value is a plain, non-persistent server
// on a free port in a new temporary folder.
type Options struct {
	Binary     string   // default $REDIS_SERVER, else "redis-server"
	Port       int      // 0: a free port
	Dir        string   // "": a new temporary folder, removed by Close
	Password   string   // requirepass
	AppendOnly bool     // appendonly yes + appendfsync always
	Args       []string // extra "--name value" arguments
}

// Server is one running redis-server.
type Server struct {
	Port   int
	Dir    string
	opts   Options
	ownDir bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary is the redis-server to run.
func Binary(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if b := os.Getenv("REDIS_SERVER"); b != "" {
		return b
	}
	return "redis-server"
}

// FreePort asks the kernel for a loopback port that is free right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start launches the server and waits until it answers PING.
func Start(ctx context.Context, o Options) (*Server, error) {
	o.Binary = Binary(o.Binary)
	if _, err := exec.LookPath(o.Binary); err != nil {
		return nil, fmt.Errorf("%s not found (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis; Windows: use WSL): %w", o.Binary, err)
	}
	s := &Server{Port: o.Port, Dir: o.Dir, opts: o}
	if s.Port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		s.Port = p
	}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "imgq-redis-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownDir = dir, true
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) args() []string {
	a := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--daemonize", "no", "--logfile", filepath.Join(s.Dir, "redis.log")}
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

func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(s.opts.Binary, s.args()...)
	// Its own process group, killed with its parent (Linux, Windows): a crashed
	// test or benchmark leaves no server behind.
	if err := proc.Start(cmd); err != nil {
		return fmt.Errorf("start %s: %w", s.opts.Binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: s.opts.Password, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start: %s", s.logTail())
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server did not answer on %s within 10s: %s", s.Addr(), s.logTail())
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

// Password is the server's requirepass ("" for none).
func (s *Server) Password() string { return s.opts.Password }

// PID is the running server's process id (0 when stopped).
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Kill stops the server at once (SIGKILL, or TerminateJobObject on Windows), as a
// crash would, and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = proc.KillGroup(cmd)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Restart starts the server again on the same port and folder (after Kill), so
// an append-only file written before the crash is replayed.
func (s *Server) Restart(ctx context.Context) error {
	s.Kill()
	if err := s.start(ctx); err != nil {
		return fmt.Errorf("restart redis-server: %w", err)
	}
	return nil
}

// Close kills the server and removes its folder if Start made it.
func (s *Server) Close() {
	s.Kill()
	if s.ownDir {
		_ = os.RemoveAll(s.Dir)
	}
}
