package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/redistest"
)

// The header follows the Sentinel master: the first answer names it quietly,
// a new one is a failover, said in the footer; a probe that fails (every
// Sentinel down) keeps the last master known. At 80 and 120 columns the
// screen keeps its size.
func TestTopologyFailoverShown(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 36}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, _ := fixture(t, sz[0], sz[1], 3, Options{Topology: Topology{Kind: redisconn.Sentinel, Name: "mymaster"}})
			first := func() string { return headerLines(m)[0] }
			if !strings.Contains(first(), "sentinel mymaster v7.0.15") {
				t.Fatalf("before the first probe: %q", first())
			}
			m.Update(topologyMsg{where: Where{Master: "127.0.0.1:6380"}})
			if !strings.Contains(first(), "sentinel mymaster → 127.0.0.1:6380") {
				t.Fatalf("after the first probe: %q", first())
			}
			if s := m.footer.Status(); s != "" {
				t.Fatalf("the first answer is no failover, yet the footer says %q", s)
			}
			m.Update(topologyMsg{where: Where{Master: "127.0.0.1:6380"}})
			if s := m.footer.Status(); s != "" {
				t.Fatalf("the same master is no failover, yet the footer says %q", s)
			}
			m.Update(topologyMsg{err: errors.New("no Sentinel answers")})
			m.Update(topologyMsg{where: Where{Master: "127.0.0.1:6381"}})
			if !strings.Contains(first(), "sentinel mymaster → 127.0.0.1:6381") {
				t.Fatalf("after the failover: %q", first())
			}
			want := "failover: master is now 127.0.0.1:6381 (was 127.0.0.1:6380)"
			if s := m.footer.Status(); s != want {
				t.Fatalf("footer status %q, want %q", s, want)
			}
			if !strings.Contains(screen(m), want) {
				t.Fatalf("the failover is not on screen:\n%s", screen(m))
			}
			checkSize(t, m, sz[0], sz[1])
		})
	}
}

func TestTopologyClusterMasters(t *testing.T) {
	m, _ := fixture(t, 120, 36, 3, Options{Topology: Topology{Kind: redisconn.Cluster}})
	m.Update(topologyMsg{where: Where{Masters: 3}})
	if first := headerLines(m)[0]; !strings.Contains(first, "cluster 3 masters v7.0.15") {
		t.Fatalf("first line %q", first)
	}
	checkSize(t, m, 120, 36)
}

// The model asks the probe in a command, at once and then every period; a
// quit (ctx ended) stops the wait without asking.
func TestTopologyProbeCommands(t *testing.T) {
	var asked atomic.Int32
	tp := Topology{Kind: redisconn.Sentinel, Name: "m", Every: time.Second,
		Probe: func(ctx context.Context) (Where, error) {
			asked.Add(1)
			if _, ok := ctx.Deadline(); !ok {
				t.Error("the probe has no deadline: a hung Sentinel would hold it forever")
			}
			return Where{Master: "127.0.0.1:7000"}, nil
		}}
	msg, ok := probeTopology(context.Background(), tp, 0)().(topologyMsg)
	if !ok || msg.where.Master != "127.0.0.1:7000" || asked.Load() != 1 {
		t.Fatalf("probe now: %#v, asked %d", msg, asked.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if msg := probeTopology(ctx, tp, time.Hour)(); msg != nil || asked.Load() != 1 {
		t.Fatalf("after the quit: %#v, asked %d", msg, asked.Load())
	}
	if probeTopology(context.Background(), Topology{Kind: redisconn.Standalone}, 0) != nil {
		t.Fatal("a standalone server has nothing to probe")
	}
}

// remember shares one answer among the models that ask within its freshness
// (the SSH viewers'), and asks again once it is stale.
func TestTopologyRemember(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		fresh time.Duration
		want  int32
	}{{time.Hour, 1}, {time.Nanosecond, 5}} {
		var asked atomic.Int32
		p := remember(func(context.Context) (Where, error) {
			time.Sleep(time.Microsecond) // a nanosecond's freshness has passed
			return Where{Masters: int(asked.Add(1))}, nil
		}, c.fresh)
		for range 5 {
			_, _ = p(ctx)
		}
		if got := asked.Load(); got != c.want {
			t.Errorf("fresh %s: asked %d times in 5 calls, want %d", c.fresh, got, c.want)
		}
	}
}

// A single redis-server has nothing to probe; its header names its URL.
func TestTopologyOfStandalone(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	conn, err := redisconn.Connect(context.Background(), redisconn.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tp := TopologyOf(conn); tp.Kind != redisconn.Standalone || tp.Probe != nil {
		t.Fatalf("TopologyOf a single server: %+v", tp)
	}
}
