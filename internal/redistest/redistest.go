// Package redistest starts real redis-server processes for tests.
//
// Every test of Redis behaviour in imgq talks to a real server started here, on a
// free loopback port with its own temporary folder, never to the embedded
// miniredis: the point of those tests is to prove what Redis itself does.
package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redisserver"
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
	*redisserver.Server
	t testing.TB
}

// Start launches a redis-server in a test's temporary folder and stops it when
// the test ends. It fails the test (it does not skip) when redis-server is
// missing: .ci/run installs it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := redisserver.Start(context.Background(), redisserver.Options{
		Port: opts.Port, Dir: t.TempDir(), Password: opts.Password,
		AppendOnly: opts.AppendOnly, Args: opts.Args,
	})
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Kill)
	return &Server{Server: s, t: t}
}

// FreePort asks the kernel for a loopback port that is free right now.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := redisserver.FreePort()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return p
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: s.Password()})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redistest: ping %s: %v", s.Addr(), err)
	}
	return c
}

// Restart starts the server again on the same port and folder (after a Kill),
// so an append-only file written before the crash is replayed.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.Server.Restart(context.Background()); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
}
