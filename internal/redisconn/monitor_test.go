package redisconn

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
)

func TestReadLineBoundsLongLines(t *testing.T) {
	long := strings.Repeat("x", 100000)
	r := bufio.NewReaderSize(strings.NewReader("+short\r\n+"+long+"\r\n"), 16)
	if l, err := readLine(r, 50); err != nil || l != "+short" {
		t.Fatalf("short: %q %v", l, err)
	}
	l, err := readLine(r, 50)
	if err != nil || !strings.HasPrefix(l, "+xxxx") || !strings.HasSuffix(l, "… (100001 bytes)") || len(l) > 80 {
		t.Fatalf("long line kept as %d bytes: %.80q %v", len(l), l, err)
	}
}

// A feed nobody reads fills, drops what does not fit, counts it, and says so
// in band before the next line that gets through: every command is either
// received or counted, and the view learns where the gap is.
func TestMonitorMarksDroppedLines(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var dropped atomic.Int64
	lines, err := Monitor(ctx, rdb, &dropped, &wg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6000 // more than the feed holds
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			p.Echo(ctx, fmt.Sprint("burst-", i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); dropped.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("nothing dropped although nobody read the feed")
		}
	}
	sent, got, marked := n, 0, int64(0)
	for {
		var l string
		select {
		case l = <-lines:
		default:
			// Drained: one more command brings the marker out.
			if sent++; sent > n+100 {
				t.Fatalf("no marker for %d dropped lines", dropped.Load())
			}
			if err := rdb.Echo(ctx, fmt.Sprint("after-", sent)).Err(); err != nil {
				t.Fatal(err)
			}
			select {
			case l = <-lines:
			case <-time.After(30 * time.Second):
				t.Fatal("no line after the burst")
			}
		}
		pl, ok := ParseMonitorLine(l)
		switch {
		case ok && pl.Dropped > 0:
			marked += pl.Dropped
		case ok && pl.Cmd == "ECHO":
			got++
			// after-K is the K-th command sent: every one before it came or
			// was dropped (later "after"s may still be on their way).
			var k int
			if _, err := fmt.Sscanf(pl.Args[0].Text, "after-%d", &k); err == nil && marked > 0 {
				if int64(got)+dropped.Load() != int64(k) || marked > dropped.Load() {
					t.Fatalf("sent %d before after-%d, received %d, dropped %d, marked %d", k, k, got, dropped.Load(), marked)
				}
				return
			}
		}
	}
}
