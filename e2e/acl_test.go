package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// ACLCommands is the exact command list of the ACL user documented in
// docs/ACL.md: what imgq sends itself, plus what its Lua scripts call (Redis
// checks those against the ACL too). Keep the two in step.
var ACLCommands = []string{
	// connection (go-redis sends HELLO when it connects)
	"+hello", "+ping",
	// scripts: one per transition, loaded once, run by SHA
	"+evalsha", "+eval", "+script|load",
	// called by imgq directly
	"+blpop", "+xread", "+xrevrange", "+xadd", "+lrange", "+hgetall", "+hget", "+hset", "+get",
	"+scan", "+unlink", "+time", "+type", "+hkeys", "+smembers",
	// called inside the Lua scripts
	"+del", "+exists", "+hdel", "+hexists", "+hincrby", "+hlen", "+hmget", "+hscan", "+hsetnx", "+llen",
	"+lpop", "+lpush", "+lrem", "+ltrim", "+persist", "+pexpire", "+rpush", "+sadd", "+set", "+srem",
	"+zadd", "+zcard", "+zrange", "+zrangebyscore", "+zrem", "+zremrangebyscore", "+zscore",
}

// ACLKeys are the key patterns of the documented user: the queue's own prefix,
// and the course's task:<id> and result:<id> records.
var ACLKeys = []string{"~image_processing:*", "~task:*", "~result:*"}

// A Redis ACL user limited to the queue's key prefix and the commands above can
// run a worker, enqueue, stats, events, task, requeue and flush; Redis logs no
// denied command while it does; the same user cannot read any other key.
func TestACLUserRunsTheQueue(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	admin := srv.Client(t)
	const user, pw = "imgq", "acl-Pa55-word"
	args := []any{"ACL", "SETUSER", user, "reset", "on", ">" + pw}
	for _, k := range ACLKeys {
		args = append(args, k)
	}
	args = append(args, "resetchannels", "-@all")
	for _, c := range ACLCommands {
		args = append(args, c)
	}
	// Redis 7.2+ also has CLIENT SETINFO, which go-redis sends on connect (and
	// ignores when refused); allow it where it exists so ACL LOG stays clean.
	if err := admin.Do(ctx, append(args, "+client|setinfo")...).Err(); err != nil {
		must(t, admin.Do(ctx, args...).Err())
	}
	must(t, admin.Set(ctx, "other:secret", "private", 0).Err())
	must(t, admin.Do(ctx, "ACL", "LOG", "RESET").Err())
	line, err := admin.Do(ctx, "ACL", "GETUSER", user).Result()
	must(t, err)
	t.Logf("ACL user: %v", line)

	env := []string{fmt.Sprintf("REDIS_URL=redis://%s:%s@%s/0", user, pw, srv.Addr())}
	run := func(a ...string) string {
		out, code := RunEnv(t, env, dir, a...)
		if code != 0 {
			t.Fatalf("imgq %v as the ACL user: exit %d\n%s", a, code, out)
		}
		return out
	}
	ids := parseIDs(run("enqueue", "--count", "4", "--size", "16x16"))
	if len(ids) != 4 {
		t.Fatalf("enqueue gave %d ids", len(ids))
	}
	w := StartEnv(t, env, dir, "worker", "--id", "aclw", "--concurrency", "2", "--verbose")
	q := newQueue(t, srv, "image_processing")
	waitFinished(t, q, 4, 30*time.Second)
	out := run("stats", "--json")
	if !strings.Contains(out, `"completed": 4`) || !strings.Contains(out, `"aclw"`) {
		t.Fatalf("stats as the ACL user:\n%s", out)
	}
	run("events", "--follow=false", "--last", "100")
	run("task", ids[0])
	run("task", ids[1][:12]) // a prefix: the lists and the index
	run("requeue", "--all")
	_ = w.Cmd.Process.Signal(syscall.SIGTERM)
	if code := w.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("worker exit %d:\n%s", code, w.Output())
	}
	if strings.Contains(w.Output(), "NOPERM") {
		t.Fatalf("worker hit a denied command:\n%s", w.Output())
	}
	if out := run("flush", "--yes"); !strings.Contains(out, "removed") {
		t.Fatalf("flush: %s", out)
	}
	if v, _ := admin.Get(ctx, "other:secret").Result(); v != "private" {
		t.Fatal("flush as the ACL user removed another key")
	}
	// Nothing imgq did was denied.
	log, err := admin.Do(ctx, "ACL", "LOG").Slice()
	must(t, err)
	if len(log) > 0 {
		t.Fatalf("ACL LOG has %d denials while imgq ran: %v", len(log), log)
	}
	// And the user is really confined.
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: user, Password: pw})
	defer c.Close()
	if err := c.Get(ctx, "other:secret").Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("the ACL user read another key: %v", err)
	}
	if err := c.FlushDB(ctx).Err(); err == nil {
		t.Fatal("the ACL user may FLUSHDB")
	}
	// The dashboard's server-version line degrades instead of failing without INFO.
	cq, err := queue.New(c, queue.Options{})
	must(t, err)
	if v, err := cq.ServerVersion(ctx); err != nil || v != "" {
		t.Fatalf("ServerVersion without INFO: %q, %v; want \"\", nil", v, err)
	}
	t.Logf("ACL user ran enqueue, worker, stats, events, task, requeue, flush with %d commands and no denial", len(ACLCommands))
}
