package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/internal/redisconn"
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
}

// Probe periods: a failover shows within a few seconds of Sentinel's switch;
// a cluster's masters change only when someone adds or removes one.
const (
	sentinelEvery = 3 * time.Second
	clusterEvery  = 15 * time.Second
	probeTimeout  = 2 * time.Second
)

// TopologyOf is conn's topology with its probe: the Sentinels' answer to
// GET-MASTER-ADDR-BY-NAME, or a cluster's CLUSTER SLOTS. The probe remembers
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
			n, err := clusterMasters(ctx, conn)
			return Where{Masters: n}, err
		}
	default:
		return tp
	}
	tp.Probe = remember(tp.Probe, tp.Every/2)
	return tp
}

// clusterMasters counts the masters that serve slots: one CLUSTER SLOTS, a
// few hundred bytes for a small cluster.
func clusterMasters(ctx context.Context, conn *redisconn.Conn) (int, error) {
	slots, err := conn.Client.ClusterSlots(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("cluster slots: %w", err)
	}
	masters := map[string]bool{}
	for _, s := range slots {
		if len(s.Nodes) > 0 {
			masters[s.Nodes[0].Addr] = true
		}
	}
	return len(masters), nil
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
		t.Masters = msg.where.Masters
	}
	return next
}
