package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redisserver"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// localCluster is a Redis Cluster of private redis-server masters on loopback,
// no replicas, made by the benchmark and stopped by Close.
type localCluster struct {
	servers []*redisserver.Server
	clients []*redis.Client // one per master: the measurements' INFO readings
	ranges  [][2]int        // master i's slots, first and last
}

// startCluster starts m cluster-enabled redis-servers and gives master i the
// i-th of m equal slot ranges, as `redis-cli --cluster create` does (which
// refuses fewer than 3 masters; the 1-master cluster is made the same way here),
// then waits until every node says cluster_state:ok.
func startCluster(ctx context.Context, m int) (_ *localCluster, err error) {
	if m < 1 {
		return nil, fmt.Errorf("cluster of %d masters: want at least 1", m)
	}
	lc := &localCluster{}
	defer func() {
		if err != nil {
			lc.Close()
		}
	}()
	for i := range m {
		s, err := redisserver.Start(ctx, redisserver.Options{Args: []string{"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"}})
		if err != nil {
			return nil, fmt.Errorf("cluster master %d: %w", i, err)
		}
		lc.servers = append(lc.servers, s)
		lc.clients = append(lc.clients, redis.NewClient(&redis.Options{Addr: s.Addr()}))
		lo, hi := i*clusterSlots/m, (i+1)*clusterSlots/m-1
		lc.ranges = append(lc.ranges, [2]int{lo, hi})
	}
	for i, c := range lc.clients {
		if err := c.ClusterAddSlotsRange(ctx, lc.ranges[i][0], lc.ranges[i][1]).Err(); err != nil {
			return nil, fmt.Errorf("cluster addslots on %s: %w", lc.servers[i].Addr(), err)
		}
		// Distinct epochs, as redis-cli sets them, so no election is needed.
		if err := c.Do(ctx, "cluster", "set-config-epoch", i+1).Err(); err != nil {
			return nil, fmt.Errorf("cluster set-config-epoch on %s: %w", lc.servers[i].Addr(), err)
		}
	}
	for _, s := range lc.servers[1:] {
		if err := lc.clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(s.Port)).Err(); err != nil {
			return nil, fmt.Errorf("cluster meet %s: %w", s.Addr(), err)
		}
	}
	return lc, lc.waitOK(ctx, m, 30*time.Second)
}

// waitOK waits until every node knows m nodes and says cluster_state:ok.
func (lc *localCluster) waitOK(ctx context.Context, m int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	want := "cluster_known_nodes:" + strconv.Itoa(m)
	for {
		ready := true
		var last string
		for _, c := range lc.clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, want) {
				ready, last = false, info
				if err != nil {
					last = err.Error()
				}
				break
			}
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster of %d masters not ready after %s: %s", m, limit, strings.Join(strings.Fields(last), " "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// addrs are the masters' addresses, in slot order.
func (lc *localCluster) addrs() []string {
	out := make([]string, len(lc.servers))
	for i, s := range lc.servers {
		out[i] = s.Addr()
	}
	return out
}

// masterOf is the index of the master that holds slot.
func (lc *localCluster) masterOf(slot int) int {
	for i, r := range lc.ranges {
		if slot >= r[0] && slot <= r[1] {
			return i
		}
	}
	return -1
}

// Close stops every master and removes its folder.
func (lc *localCluster) Close() {
	for _, c := range lc.clients {
		_ = c.Close()
	}
	for _, s := range lc.servers {
		s.Close()
	}
}
