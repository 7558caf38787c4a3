package redisserver

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartKillRestartClose(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, Options{AppendOnly: true, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: "pw"})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if s.PID() == 0 {
		t.Fatal("no pid")
	}
	s.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("server still answers after Kill")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// appendfsync always: the write before the crash survives it.
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after restart: %q %v", v, err)
	}
	dir := s.Dir
	s.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left the folder it made: %v", err)
	}
}

func TestMissingBinaryIsAClearError(t *testing.T) {
	_, err := Start(context.Background(), Options{Binary: "/nonexistent/redis-server"})
	if err == nil {
		t.Fatal("started a missing binary")
	}
}
