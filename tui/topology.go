package tui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/tui/components/header"
	"github.com/redis/go-redis/v9"
)

// Topology is what the dashboard is connected to (Options.Topology), for the
// header's first line. The zero value is a single server, named by RedisAddr.
type Topology struct {
	Kind string // redisconn.Standalone, Sentinel, Cluster or EmbeddedKind
	Name string // Sentinel: the master's name
	// Probe, when set, says what may change while the dashboard runs: where
	// the Sentinel master is, how many masters a cluster has. The model asks
	// it every Every in a tea.Cmd, never on the UI goroutine.
	Probe func(ctx context.Context) (Where, error)
	Every time.Duration
}

// Where is what a Topology's Probe found.
type Where struct {
	Master  string // Sentinel: the master's host:port
	Masters int    // Cluster: the masters that serve slots
	// Slots is, on a cluster, each master and the slot ranges it serves, in
	// slot order: where a sharded queue's shards live.
	Slots []header.Master
}

// Probe periods: a failover shows within a few seconds of Sentinel's switch;
// a cluster's masters change only when someone adds or removes one.
const (
	sentinelEvery = 3 * time.Second
	clusterEvery  = 15 * time.Second
	probeTimeout  = 2 * time.Second
)

// TopologyOf is conn's topology with its probe: the Sentinels' answer to
// GET-MASTER-ADDR-BY-NAME, or a cluster's CLUSTER SLOTS (its masters and
// which slots each serves). The probe remembers
// its answer for half a period, so the SSH viewers' models, which share it,
// cost the Sentinels one question per period, not one each.
func TopologyOf(conn *redisconn.Conn) Topology {
	tp := Topology{Kind: conn.Topology(), Name: conn.MasterName}
	switch tp.Kind {
	case redisconn.Sentinel:
		tp.Every = sentinelEvery
		tp.Probe = func(ctx context.Context) (Where, error) {
			addr, err := conn.MasterAddr(ctx)
			return Where{Master: addr}, err
		}
	case redisconn.Cluster:
		tp.Every = clusterEvery
		tp.Probe = func(ctx context.Context) (Where, error) {
			masters, err := clusterMasters(ctx, conn)
			return Where{Masters: len(masters), Slots: masters}, err
		}
	default:
		return tp
	}
	tp.Probe = remember(tp.Probe, tp.Every/2)
	return tp
}

// clusterMasters is the masters that serve slots and their ranges: one
// CLUSTER SLOTS, a few hundred bytes for a small cluster.
func clusterMasters(ctx context.Context, conn *redisconn.Conn) ([]header.Master, error) {
	slots, err := conn.Client.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster slots: %w", err)
	}
	return slotMap(slots), nil
}

// slotMap groups CLUSTER SLOTS' ranges by master (the first node of each
// range), masters in the order of the lowest slot they serve, each one's
// ranges in slot order: the order a sharded queue's shards follow.
func slotMap(slots []redis.ClusterSlot) []header.Master {
	at := map[string]int{}
	var masters []header.Master
	for _, s := range slots {
		if len(s.Nodes) == 0 {
			continue
		}
		addr := s.Nodes[0].Addr
		i, ok := at[addr]
		if !ok {
			i = len(masters)
			at[addr] = i
			masters = append(masters, header.Master{Addr: addr})
		}
		masters[i].Ranges = append(masters[i].Ranges, [2]int{int(s.Start), int(s.End)})
	}
	for _, ms := range masters {
		slices.SortFunc(ms.Ranges, func(a, b [2]int) int { return a[0] - b[0] })
	}
	slices.SortFunc(masters, func(a, b header.Master) int { return a.Ranges[0][0] - b.Ranges[0][0] })
	return masters
}

// remember wraps probe so that calls within fresh of the last answer get that
// answer; concurrent callers wait for the one in flight.
func remember(probe func(context.Context) (Where, error), fresh time.Duration) func(context.Context) (Where, error) {
	var (
		mu   sync.Mutex
		at   time.Time
		last Where
		err  error
	)
	return func(ctx context.Context) (Where, error) {
		mu.Lock()
		defer mu.Unlock()
		if !at.IsZero() && time.Since(at) < fresh {
			return last, err
		}
		last, err = probe(ctx)
		at = time.Now()
		return last, err
	}
}

// topologyMsg is a probe's answer.
type topologyMsg struct {
	where Where
	err   error
}

// probeTopology asks the probe after a period (at once when after is 0).
func probeTopology(ctx context.Context, tp Topology, after time.Duration) tea.Cmd {
	if tp.Probe == nil {
		return nil
	}
	ask := func() tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		w, err := tp.Probe(pctx)
		return topologyMsg{where: w, err: err}
	}
	return func() tea.Msg {
		if !sleep(ctx, after) { // a timer, not tea.Tick: a quit ends the wait
			return nil
		}
		return ask()
	}
}

// onTopology takes a probe's answer: a new Sentinel master is a failover,
// said in the footer and shown in the header. An error keeps what was known
// (the stats refresh already says when Redis does not answer).
func (m *Model) onTopology(msg topologyMsg) tea.Cmd {
	next := probeTopology(m.ctx, m.opts.Topology, max(m.opts.Topology.Every, time.Second))
	if msg.err != nil {
		return next
	}
	t := &m.topo
	if w := msg.where.Master; w != "" {
		if t.Master != "" && w != t.Master {
			m.footer.SetStatus(fmt.Sprintf(m.c.T("failover: master is now %s (was %s)"), w, t.Master), false)
		}
		t.Master = w
	}
	if msg.where.Masters > 0 {
		t.Masters, t.Slots = msg.where.Masters, msg.where.Slots
	}
	return next
}
