package queue

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua lua/lib/*.lua
var luaFS embed.FS

// scriptNames maps each script's SHA1 to its file name, so a MONITOR view can
// say "EVALSHA claim.lua" instead of a hash.
var scriptNames = map[string]string{}

// mustScript reads lua/<name>.lua, after the lua/lib/<lib>.lua files it uses
// (Redis scripts cannot import one another, so shared functions are prepended).
func mustScript(name string, libs ...string) *redis.Script {
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
	s := redis.NewScript(string(src))
	scriptNames[s.Hash()] = name + ".lua"
	return s
}

// ScriptName returns the file name of the queue script whose SHA1 is sha
// ("claim.lua"), or "" for a script that is not the queue's.
func ScriptName(sha string) string { return scriptNames[strings.ToLower(sha)] }

// One script per state transition; each file's header lists its KEYS and ARGV.
var (
	enqueueScript      = mustScript("enqueue", "clock", "record")
	claimScript        = mustScript("claim", "clock", "record", "deadletter", "emit")
	completeScript     = mustScript("complete", "clock", "record", "trim", "emit")
	failScript         = mustScript("fail", "clock", "record", "trim")
	releaseScript      = mustScript("release", "record")
	forwardScript      = mustScript("forward", "clock", "record", "deadletter")
	recoverScript      = mustScript("recover", "clock", "record", "deadletter")
	reapScript         = mustScript("reap", "clock", "record")
	heartbeatScript    = mustScript("heartbeat")
	registerScript     = mustScript("register")
	deregisterScript   = mustScript("deregister")
	requeueScript      = mustScript("requeue", "record")
	statsScript        = mustScript("stats", "clock", "record")
	observeScript      = mustScript("observe", "clock", "record")
	requeueStuckScript = mustScript("requeue_stuck", "clock", "record", "deadletter")
)

var allScripts = []*redis.Script{enqueueScript, claimScript, completeScript, failScript,
	releaseScript, forwardScript, recoverScript, reapScript, heartbeatScript,
	registerScript, deregisterScript, requeueScript, statsScript, observeScript, requeueStuckScript}

// LoadScripts loads every script into Redis' script cache, so pipelines can use
// EVALSHA (a pipeline cannot fall back to EVAL on NOSCRIPT the way Script.Run does).
func (q *Queue) LoadScripts(ctx context.Context) error {
	for _, s := range allScripts {
		if err := s.Load(ctx, q.rdb).Err(); err != nil {
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
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}
