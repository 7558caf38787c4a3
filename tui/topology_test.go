package tui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/tui/components/header"
	"github.com/redis/go-redis/v9"
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

// CLUSTER SLOTS lists ranges, each with its master first; the probe groups
// them by master, masters in the order of the lowest slot they serve (the
// order of a sharded queue's shards), each one's ranges in slot order.
func TestSlotMapGroupsRangesByMaster(t *testing.T) {
	node := func(addrs ...string) []redis.ClusterNode {
		var ns []redis.ClusterNode
		for _, a := range addrs {
			ns = append(ns, redis.ClusterNode{Addr: a})
		}
		return ns
	}
	got := slotMap([]redis.ClusterSlot{
		{Start: 10923, End: 16383, Nodes: node("127.0.0.1:7003", "127.0.0.1:7006")},
		{Start: 5461, End: 10922, Nodes: node("127.0.0.1:7002", "127.0.0.1:7005")},
		{Start: 100, End: 5460, Nodes: node("127.0.0.1:7001")},
		{Start: 0, End: 99, Nodes: node("127.0.0.1:7002")}, // moved by a reshard
		{Start: 5, End: 6}, // no node answers for it
	})
	want := []header.Master{
		{Addr: "127.0.0.1:7002", Ranges: [][2]int{{0, 99}, {5461, 10922}}},
		{Addr: "127.0.0.1:7001", Ranges: [][2]int{{100, 5460}}},
		{Addr: "127.0.0.1:7003", Ranges: [][2]int{{10923, 16383}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("slot map\n got %v\nwant %v", got, want)
	}
	if slotMap(nil) != nil {
		t.Fatal("no slots, no masters")
	}
}

// The cluster probe asks a real cluster-mode redis-server: one master that
// serves two ranges (slots 100-199 unassigned) is one master with both.
func TestTopologyOfClusterReadsTheSlotMap(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}})
	ctx := context.Background()
	if err := srv.Client(t).Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 99, 200, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	conn, err := redisconn.Connect(ctx, redisconn.Options{URL: srv.URL(), Cluster: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tp := TopologyOf(conn)
	if tp.Kind != redisconn.Cluster || tp.Probe == nil {
		t.Fatalf("TopologyOf a cluster: %+v", tp)
	}
	w, err := tp.Probe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A node that has met no other does not know its own IP: CLUSTER SLOTS
	// names it by its port alone, which is how the header names a master.
	_, port, _ := net.SplitHostPort(srv.Addr())
	want := []header.Master{{Addr: ":" + port, Ranges: [][2]int{{0, 99}, {200, 16383}}}}
	if w.Masters != 1 || !reflect.DeepEqual(w.Slots, want) {
		t.Fatalf("probe: %+v, want 1 master %v", w, want)
	}
	// The model keeps the map with the count, for the header.
	m, _ := fixture(t, 120, 36, 3, Options{Topology: Topology{Kind: redisconn.Cluster}})
	m.Update(topologyMsg{where: w})
	if !reflect.DeepEqual(m.topo.Slots, want) || m.topo.Masters != 1 {
		t.Fatalf("model topology %+v", m.topo)
	}
}
