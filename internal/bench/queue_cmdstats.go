package bench

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// cmdStat is one line of INFO commandstats: calls and server µs of a command.
// Redis 7 counts the commands a script runs under their own names too, and a
// script's time includes theirs, so the script lines (evalsha, eval) alone are
// the server time of the queue's scripts, and the others say where it went.
type cmdStat struct{ calls, usec float64 }

// commandStats reads INFO commandstats as command -> calls and µs.
func commandStats(ctx context.Context, c redis.UniversalClient) (map[string]cmdStat, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]cmdStat{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		var s cmdStat
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				s.calls = n
			case "usec":
				s.usec = n
			}
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = s
	}
	return out, nil
}

// CommandCost is one command's share of a run, per task.
type CommandCost struct {
	Command      string  `json:"command"`
	CallsPerTask float64 `json:"calls_per_task"`
	USPerTask    float64 `json:"us_per_task"`
}

// ServerCost is what INFO commandstats says a run cost Redis, per task.
type ServerCost struct {
	// ScriptUSPerTask is the time Redis spent in the queue's scripts (EVALSHA
	// and EVAL, the commands they run included) per task: the queue's work,
	// without networking, parsing and the event loop (the /proc figure has those).
	ScriptUSPerTask float64 `json:"script_us_per_task"`
	// CommandsPerTask counts every command Redis ran, inside scripts too.
	CommandsPerTask float64 `json:"commands_per_task"`
	// ScriptCallsPerTask is EVALSHA+EVAL calls per task (1 / the batch size).
	ScriptCallsPerTask float64       `json:"script_calls_per_task"`
	ByCommand          []CommandCost `json:"by_command,omitempty"` // most expensive first
}

// isScript reports whether a commandstats name is a script call.
func isScript(cmd string) bool {
	return cmd == "evalsha" || cmd == "eval" || cmd == "evalsha_ro" || cmd == "eval_ro"
}

// serverCost turns two commandstats readings into per-task costs.
func serverCost(before, after map[string]cmdStat, tasks int) ServerCost {
	var c ServerCost
	if tasks <= 0 {
		return c
	}
	n := float64(tasks)
	for cmd, a := range after {
		if cmd == "info" {
			continue
		}
		b := before[cmd]
		d := cmdStat{calls: a.calls - b.calls, usec: a.usec - b.usec}
		if d.calls <= 0 {
			continue
		}
		if isScript(cmd) {
			c.ScriptUSPerTask += d.usec / n
			c.ScriptCallsPerTask += d.calls / n
		} else {
			c.CommandsPerTask += d.calls / n
		}
		c.ByCommand = append(c.ByCommand, CommandCost{Command: cmd, CallsPerTask: round3(d.calls / n), USPerTask: round3(d.usec / n)})
	}
	sort.Slice(c.ByCommand, func(i, j int) bool { return c.ByCommand[i].USPerTask > c.ByCommand[j].USPerTask })
	c.ScriptUSPerTask = round3(c.ScriptUSPerTask)
	c.CommandsPerTask, c.ScriptCallsPerTask = round3(c.CommandsPerTask), round3(c.ScriptCallsPerTask)
	return c
}
