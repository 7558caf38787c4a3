package queue

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua lua/lib/*.lua
var luaFS embed.FS

// scriptNames maps each script's SHA1 to its file name, so a MONITOR view can
// say "EVALSHA claim.lua" instead of a hash (both variants of a script, below).
var scriptNames = map[string]string{}

// allowOOM is the first line of a script that must run while Redis is over
// maxmemory with the noeviction policy (Redis 7+, "Script flags" in the EVAL
// docs): without it, Redis refuses every script whose first write could grow
// memory, so once enqueues have filled Redis, no task could be claimed,
// completed or recovered and free its input blob: the queue would stop for good.
const allowOOM = "#!lua flags=allow-oom\n"

// luaScript is one queue script in two builds of the same source: flagged, with
// the allow-oom shebang (nil for a script that must keep refusing at maxmemory:
// enqueue), and plain, for servers that do not accept a shebang (Redis 6 and the
// embedded miniredis, which fails to compile one). Queue.script picks one.
type luaScript struct {
	name           string
	flagged, plain *redis.Script
}

// oomOK marks a script allowed to run over maxmemory.
const oomOK = true

// mustScript reads lua/<name>.lua, after the lua/lib/<lib>.lua files it uses
// (Redis scripts cannot import one another, so shared functions are prepended).
// With drains set, the script also gets an allow-oom build.
func mustScript(name string, drains bool, libs ...string) *luaScript {
	var paths []string
	for _, l := range libs {
		paths = append(paths, "lua/lib/"+l+".lua")
	}
	var src []byte
	for _, path := range append(paths, "lua/"+name+".lua") {
		b, err := luaFS.ReadFile(path)
		if err != nil {
			panic(fmt.Sprintf("queue: missing script %s: %v", path, err))
		}
		src = append(src, b...)
	}
	ls := &luaScript{name: name, plain: redis.NewScript(string(src))}
	scriptNames[ls.plain.Hash()] = name + ".lua"
	if drains {
		ls.flagged = redis.NewScript(allowOOM + string(src))
		scriptNames[ls.flagged.Hash()] = name + ".lua"
	}
	return ls
}

// ScriptName returns the file name of the queue script whose SHA1 is sha
// ("claim.lua"), or "" for a script that is not the queue's.
func ScriptName(sha string) string { return scriptNames[strings.ToLower(sha)] }

// ScriptSHA is ScriptName's inverse: a SHA1 of the named script (either
// variant), or "". Replayed MONITOR captures use it so that they name today's
// scripts, not the SHAs of the day they were captured.
func ScriptSHA(name string) string {
	for sha, n := range scriptNames {
		if n == name {
			return sha
		}
	}
	return ""
}

// One script per state transition; each file's header lists its KEYS and ARGV.
//
// Which run over maxmemory (oomOK): every script that frees memory or only moves
// ids between structures that already exist (complete, fail, release, forward,
// recover, reap, requeue, requeue_stuck, heartbeat, deregister, observe, stats),
// and two that add a little, bounded memory but without which nothing drains:
//   - claim moves an id from a pending list to processing and sets a handful of
//     fields on the task hash plus a lease entry (tens of bytes a task, at most
//     one batch a worker); refusing it would leave every task where it is, and
//     only a claimed task can complete and free its record's blob;
//   - register adds one small hash per worker: a worker started to drain a full
//     Redis must be able to join.
//
// Their events go to a stream capped by EventsMaxLen. Only enqueue, the one
// script that brings new data in, keeps refusing with Redis' OOM error.
var (
	enqueueScript      = mustScript("enqueue", false, "clock", "record", "emit")
	claimScript        = mustScript("claim", oomOK, "clock", "record", "deadletter", "emit")
	completeScript     = mustScript("complete", oomOK, "clock", "record", "trim", "emit")
	failScript         = mustScript("fail", oomOK, "clock", "record", "trim")
	releaseScript      = mustScript("release", oomOK, "record")
	forwardScript      = mustScript("forward", oomOK, "clock", "record", "deadletter")
	recoverScript      = mustScript("recover", oomOK, "clock", "record", "deadletter", "handback")
	reapScript         = mustScript("reap", oomOK, "clock", "record")
	heartbeatScript    = mustScript("heartbeat", oomOK)
	registerScript     = mustScript("register", oomOK)
	deregisterScript   = mustScript("deregister", oomOK)
	requeueScript      = mustScript("requeue", oomOK, "record")
	statsScript        = mustScript("stats", oomOK, "clock", "record")
	observeScript      = mustScript("observe", oomOK, "clock", "record")
	requeueStuckScript = mustScript("requeue_stuck", oomOK, "clock", "record", "deadletter", "handback")
)

// housekeepLockScript elects one housekeeper per period (SET NX PX, one small
// key): a script so that it runs over maxmemory too.
var housekeepLockScript = inlineScript("housekeep_lock",
	"return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) and 1 or 0\n")

// inlineScript is mustScript for a one-line script that runs over maxmemory.
func inlineScript(name, src string) *luaScript {
	ls := &luaScript{name: name, plain: redis.NewScript(src), flagged: redis.NewScript(allowOOM + src)}
	scriptNames[ls.plain.Hash()] = name
	scriptNames[ls.flagged.Hash()] = name
	return ls
}

var allScripts = []*luaScript{housekeepLockScript, enqueueScript, claimScript, completeScript, failScript,
	releaseScript, forwardScript, recoverScript, reapScript, heartbeatScript,
	registerScript, deregisterScript, requeueScript, statsScript, observeScript, requeueStuckScript}

// Script flags support of the server, found once per queue by probeFlags.
const (
	flagsUnknown int32 = iota
	flagsOK
	flagsNo
)

// script returns the build of s to run on this queue's server: the allow-oom one
// where the server accepts script flags, the plain one elsewhere.
func (q *Queue) script(ctx context.Context, s *luaScript) *redis.Script {
	if s.flagged == nil || !q.flagsSupported(ctx) {
		return s.plain
	}
	return s.flagged
}

// flagsSupported asks the server once whether it runs a script with a shebang
// line: Redis 7+ does; Redis 6 and the embedded miniredis answer with a compile
// error, and get the plain scripts (which stop at maxmemory, as before). A
// network error decides nothing: the flagged build is assumed (the call it was
// for fails anyway) and the next call asks again.
func (q *Queue) flagsSupported(ctx context.Context) bool {
	switch q.flags.Load() {
	case flagsOK:
		return true
	case flagsNo:
		return false
	}
	err := q.rdb.Eval(ctx, allowOOM+"return 1", nil).Err()
	var rerr redis.Error
	switch {
	case err == nil:
		q.flags.Store(flagsOK)
		return true
	case errors.As(err, &rerr) && !isTransient(err):
		q.flags.Store(flagsNo)
		return false
	}
	return true
}

// isTransient: a Redis error reply that says nothing about the script itself.
func isTransient(err error) bool {
	s := err.Error()
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "NOAUTH", "WRONGPASS", "NOPERM"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// LoadScripts loads every script into Redis' script cache, so pipelines can use
// EVALSHA (a pipeline cannot fall back to EVAL on NOSCRIPT the way Script.Run does).
func (q *Queue) LoadScripts(ctx context.Context) error {
	for _, s := range allScripts {
		if err := q.script(ctx, s).Load(ctx, q.rdb).Err(); err != nil {
			return fmt.Errorf("load scripts: %w", err)
		}
	}
	return nil
}

// scriptPipeline sends the EVALSHAs that build queues in one round trip. A
// server that lost its script cache (a restart, SCRIPT FLUSH) refuses them with
// NOSCRIPT, and a pipeline cannot fall back to EVAL the way Script.Run does: the
// scripts are loaded and build runs once more, with again=true (a caller whose
// pipeline mixes scripts that must not run twice decides there what to resend).
func (q *Queue) scriptPipeline(ctx context.Context, build func(p redis.Pipeliner, again bool)) ([]redis.Cmder, error) {
	run := func(again bool) ([]redis.Cmder, error) {
		return q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			build(p, again)
			return nil
		})
	}
	cmds, err := run(false)
	if !isNoScript(err) {
		return cmds, err
	}
	if lerr := q.LoadScripts(ctx); lerr != nil {
		return cmds, lerr
	}
	return run(true)
}

func isNoScript(err error) bool {
	return redis.HasErrorPrefix(err, "NOSCRIPT")
}
