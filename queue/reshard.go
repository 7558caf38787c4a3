package queue

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"
	"weak"

	"github.com/redis/go-redis/v9"
)

// Live resharding. While `redis-cli --cluster reshard` moves the queue's slot,
// its keys leave the source master in batches (MIGRATE), and a script can
// find some of the keys it touches on one node and some on the other. Redis
// checks only the keys a call declares: with all of them at hand, a script
// runs, and a key it derives (task:<id>, result:<id>, a blob) that has left
// or is new fails the script half-way on the source ("Script attempted to
// access a non local key": its earlier writes stay, a task marked completed
// but still in processing), or reads as absent on the destination (a claimed
// id with no record dead-lettered). Redis does not roll a script back.
//
// So on a Cluster every call of a queue script also declares a guard key of
// its slot that is never written (reshardGuard in keys.go). Outside a migration it
// changes nothing. During one it is missing on both nodes, so no script of
// that slot can have all its keys at hand: the source answers TRYAGAIN (or
// ASK, and then the destination TRYAGAIN) before running anything, until the
// slot's owner changes (CLUSTER SETSLOT NODE), when every key has moved.
// TRYAGAIN therefore means "not run" (as do MOVED and ASK, which go-redis
// follows but only MaxRedirects times, and the owner changes node by node):
// the call is sent again, every tryAgainMax at most, for up to tryAgainFor
// (or the caller's deadline), so a migration pauses the slot's scripts and
// stops nothing for longer than it lasts.

// How long and how often a queue script refused with TRYAGAIN is sent again.
const (
	tryAgainFor   = 30 * time.Second
	tryAgainFirst = 5 * time.Millisecond
	tryAgainMax   = 100 * time.Millisecond
)

// noReshardWait marks a context whose script calls return TRYAGAIN at once
// (after go-redis' own few resends) rather than wait out the migration: a
// sharded queue's claim, which turns to the other shards meanwhile.
type noReshardWait struct{}

func withoutReshardWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, noReshardWait{}, true)
}

// guardedClients are the cluster clients that already have the hook: the
// queues of one client (a sharded queue's N sub-queues) share one.
var guardedClients sync.Map // weak.Pointer[redis.ClusterClient] -> struct{}

// guardReshard gives a cluster client the reshard hook once; other clients
// need none (a single server has no slots to move).
func guardReshard(rdb redis.UniversalClient) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	if _, had := guardedClients.LoadOrStore(weak.Make(cc), struct{}{}); had {
		return
	}
	cc.AddHook(reshardHook{})
}

// reshardHook adds the guard key to the queue's script calls and sends again
// those refused with TRYAGAIN. Other commands pass untouched.
type reshardHook struct{}

func (reshardHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (reshardHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		g := guarded(ctx, cmd)
		if g == nil {
			return next(ctx, cmd)
		}
		err := next(ctx, g)
		for wait, until := tryAgainFirst, tryAgainDeadline(ctx); slotMoving(err) && time.Now().Before(until); wait = min(wait*2, tryAgainMax) {
			if sleepCtx(ctx, wait) != nil {
				break
			}
			err = next(ctx, g)
		}
		copyReply(cmd, g)
		return cmd.Err()
	}
}

func (reshardHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		sent := make([]redis.Cmder, len(cmds))
		var scripts []int // indexes of the guarded script calls
		for i, c := range cmds {
			if c.Name() == "multi" {
				return next(ctx, cmds) // a transaction is sent as it is (the queue's hold no script)
			}
			sent[i] = c
			if g := guarded(ctx, c); g != nil {
				sent[i] = g
				scripts = append(scripts, i)
			}
		}
		if len(scripts) == 0 {
			return next(ctx, cmds)
		}
		err := next(ctx, sent)
		// Only the refused calls go again: the others ran (or failed for good).
		for wait, until := tryAgainFirst, tryAgainDeadline(ctx); time.Now().Before(until); wait = min(wait*2, tryAgainMax) {
			var again []redis.Cmder
			for _, i := range scripts {
				if slotMoving(sent[i].Err()) {
					again = append(again, sent[i])
				}
			}
			if len(again) == 0 || sleepCtx(ctx, wait) != nil {
				break
			}
			_ = next(ctx, again)
		}
		for _, i := range scripts {
			copyReply(cmds[i], sent[i])
		}
		for _, c := range cmds {
			if c.Err() != nil {
				return c.Err()
			}
		}
		if len(scripts) == len(cmds) {
			return nil // every call succeeded in the end
		}
		return err
	}
}

// guarded returns a copy of cmd declaring its slot's guard key too, or nil
// when cmd is not a call of one of the queue's scripts with a hash-tagged key.
func guarded(ctx context.Context, cmd redis.Cmder) redis.Cmder {
	if _, ok := cmd.(*redis.Cmd); !ok {
		return nil
	}
	args := cmd.Args()
	if len(args) < 4 {
		return nil
	}
	var sha string
	switch cmd.Name() {
	case "evalsha", "evalsha_ro":
		sha, _ = args[1].(string)
	case "eval", "eval_ro": // Script.Run's fallback after NOSCRIPT
		src, _ := args[1].(string)
		sum := sha1.Sum([]byte(src))
		sha = hex.EncodeToString(sum[:])
	default:
		return nil
	}
	n, err := strconv.Atoi(fmt.Sprint(args[2]))
	if ScriptName(sha) == "" || err != nil || n < 1 || len(args) < 3+n {
		return nil
	}
	first, _ := args[3].(string)
	guard := reshardGuard(first)
	if guard == "" {
		return nil
	}
	out := make([]any, 0, len(args)+1)
	out = append(out, args[0], args[1], n+1)
	out = append(out, args[3:3+n]...)
	out = append(out, guard)
	out = append(out, args[3+n:]...)
	return redis.NewCmd(ctx, out...)
}

// copyReply hands the guarded copy's reply to the command the caller holds.
func copyReply(cmd, g redis.Cmder) {
	c, gc := cmd.(*redis.Cmd), g.(*redis.Cmd)
	c.SetVal(gc.Val())
	c.SetErr(gc.Err())
}

// slotMoving: a command was refused, without running, because its slot is
// being migrated (TRYAGAIN), or go-redis ran out of redirections while the
// nodes changed the slot's owner one after the other (MOVED, ASK).
func slotMoving(err error) bool {
	return redis.HasErrorPrefix(err, "TRYAGAIN") || redis.HasErrorPrefix(err, "MOVED ") || redis.HasErrorPrefix(err, "ASK ")
}

func tryAgainDeadline(ctx context.Context) time.Time {
	if ctx.Value(noReshardWait{}) != nil {
		return time.Time{}
	}
	until := time.Now().Add(tryAgainFor)
	if d, ok := ctx.Deadline(); ok && d.Before(until) {
		return d
	}
	return until
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
