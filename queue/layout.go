package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrLayout: a key of the queue holds a type imgq does not expect (a layout from
// an older imgq, or another program using the same name).
var ErrLayout = errors.New("redis key has the wrong type")

// KeyClash is one key whose type is not the one the layout needs.
type KeyClash struct {
	Key  string
	Got  string // as TYPE answers: list, hash, string, zset, set, stream
	Want string
	What string // what the key holds in the layout
}

// LayoutError lists every clash found, with the fix. It wraps ErrLayout, and
// the Redis error that revealed it when there was one (WRONGTYPE).
type LayoutError struct {
	Queue   string
	Clashes []KeyClash
	Cause   error
}

func (e *LayoutError) Error() string {
	var b strings.Builder
	for i, c := range e.Clashes {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s is a %s, imgq expects a %s (%s)", c.Key, c.Got, c.Want, c.What)
	}
	fmt.Fprintf(&b, ". It was left by an older imgq or another program; nothing was changed. "+
		"Fix: `imgq flush --queue %s` deletes this queue's keys, or use another --queue name", e.Queue)
	return b.String()
}

// Unwrap gives ErrLayout and the Redis error behind it.
func (e *LayoutError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrLayout, e.Cause}
	}
	return []error{ErrLayout}
}

// layout is what each fixed key of the queue must be, when it exists.
func (k Keys) layout() []KeyClash {
	return []KeyClash{
		{Key: k.PendingHigh, Want: "list", What: "task ids waiting, high priority"},
		{Key: k.Pending, Want: "list", What: "task ids waiting (the course's pending list)"},
		{Key: k.PendingLow, Want: "list", What: "task ids waiting, low priority"},
		{Key: k.Processing, Want: "hash", What: "the course's task id -> worker id"},
		{Key: k.Completed, Want: "list", What: "finished task ids, newest first"},
		{Key: k.Failed, Want: "list", What: "dead-lettered task ids, newest first"},
		{Key: k.Leases, Want: "zset", What: "task id -> lease deadline"},
		{Key: k.Retry, Want: "zset", What: "task id -> retry time"},
		{Key: k.Signal, Want: "list", What: "wake-up tokens"},
		{Key: k.Stats, Want: "hash", What: "counters"},
		{Key: k.Events, Want: "stream", What: "the event stream"},
		{Key: k.Workers, Want: "zset", What: "live workers"},
		{Key: k.WorkersGone, Want: "zset", What: "stopped workers"},
		{Key: k.Config, Want: "hash", What: "shared switches"},
		{Key: k.Tasks, Want: "set", What: "ids imgq enqueued"},
		{Key: k.Observed, Want: "hash", What: "claims of workers imgq did not start"},
		{Key: k.ObsWorkers, Want: "zset", What: "workers imgq did not start"},
		{Key: k.Observer, Want: "hash", What: "the observer's place in the lists"},
	}
}

// CheckLayout asks Redis the TYPE of each of the queue's fixed keys in one round
// trip and returns a *LayoutError naming every key of the wrong type, or nil.
// It changes nothing. Missing keys are fine: they are created on first use.
func (q *Queue) CheckLayout(ctx context.Context) error {
	if q.sharded() {
		return q.onShards(func(s *Queue) error { return s.CheckLayout(ctx) })
	}
	want := q.keys.layout()
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range want {
			p.Type(ctx, c.Key)
		}
		return nil
	})
	if redis.HasErrorPrefix(err, "NOPERM") {
		// An ACL user without TYPE (an older docs/ACL.md line): the scripts still
		// refuse a clash, and explain() names it then.
		return nil
	}
	if err != nil {
		return fmt.Errorf("check layout of %s: %w", q.opts.Name, err)
	}
	var bad []KeyClash
	for i, c := range cmds {
		got := c.(*redis.StatusCmd).Val()
		if got != "none" && got != want[i].Want {
			w := want[i]
			w.Got = got
			bad = append(bad, w)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &LayoutError{Queue: q.opts.Name, Clashes: bad}
}

// explain turns a WRONGTYPE error into a LayoutError that says which key, its
// type, what imgq expects and the fix, so a clash never looks like an outage.
// Other errors pass through.
func (q *Queue) explain(ctx context.Context, err error) error {
	if err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		return err
	}
	var le *LayoutError
	if errors.As(err, &le) {
		return err
	}
	cerr := q.CheckLayout(context.WithoutCancel(ctx))
	if errors.As(cerr, &le) {
		le.Cause = err
		return le
	}
	return err
}
