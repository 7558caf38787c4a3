package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/imgq/imgq/queue"
)

// masterReading is what one master says at one moment: its command counts,
// its CPU time and its used_memory.
type masterReading struct {
	cmds       map[string]cmdStat
	cpu        time.Duration
	usedMemory int64
}

// read takes a reading of every master, in slot order.
func (lc *localCluster) read(ctx context.Context) ([]masterReading, error) {
	out := make([]masterReading, len(lc.clients))
	for i, c := range lc.clients {
		cs, err := commandStats(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("commandstats of %s: %w", lc.servers[i].Addr(), err)
		}
		info, err := c.Info(ctx, "memory", "cpu").Result()
		if err != nil {
			return nil, fmt.Errorf("memory and CPU of %s: %w", lc.servers[i].Addr(), err)
		}
		used, _ := strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
		out[i] = masterReading{cmds: cs, cpu: infoCPU(info), usedMemory: used}
	}
	return out, nil
}

// describe names each master, its slots and the (sub-)queues it holds.
func (lc *localCluster) describe(subs []string) []MasterFigures {
	out := make([]MasterFigures, len(lc.servers))
	for i, s := range lc.servers {
		out[i] = MasterFigures{Addr: s.Addr(), Slots: fmt.Sprintf("%d-%d", lc.ranges[i][0], lc.ranges[i][1]), Shards: []string{}}
	}
	for _, name := range subs {
		if i := lc.masterOf(queue.KeySlot(name)); i >= 0 {
			out[i].Shards = append(out[i].Shards, name)
		}
	}
	return out
}

// cpuDelta is the CPU time all masters used between two readings.
func cpuDelta(before, after []masterReading) time.Duration {
	var d time.Duration
	for i := range after {
		d += after[i].cpu - before[i].cpu
	}
	return d
}

// commandsRun counts the commands a master ran between two readings (those
// inside scripts too), without the INFO calls that took the readings.
func commandsRun(before, after map[string]cmdStat) int64 {
	var n float64
	for cmd, a := range after {
		if cmd != "info" {
			n += a.calls - before[cmd].calls
		}
	}
	return int64(n)
}

// infoCPU is used_cpu_sys + used_cpu_user of an INFO cpu reply: the server's
// getrusage, to the microsecond (where /proc/<pid>/stat counts 10 ms ticks,
// too coarse for a master's share of a one-second run).
func infoCPU(info string) time.Duration {
	var s float64
	for _, f := range []string{"used_cpu_sys", "used_cpu_user"} {
		v, _ := strconv.ParseFloat(infoField(info, f), 64)
		s += v
	}
	return time.Duration(s * float64(time.Second))
}
