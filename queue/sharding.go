package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// ErrShardsDiffer: a process asked for a number of shards other than the one
// the queue was made with. Tasks on the shards it does not know would wait
// forever for it, so it must not run.
var ErrShardsDiffer = errors.New("the queue is sharded differently")

// ShardsOf reads how many shards queue name was made with (its Sharding key,
// which a sharded queue writes when first used): 0 when it is not sharded.
// A process started without --shards adopts it, so `imgq worker` just works on
// a queue a teacher sharded.
func ShardsOf(ctx context.Context, rdb redis.UniversalClient, name string) (int, error) {
	v, err := rdb.Get(ctx, NewKeys(name).Sharding).Result()
	if isNil(err) || redis.HasErrorPrefix(err, "NOPERM") {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("shards of %s: %w", name, err)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > MaxShards {
		return 0, fmt.Errorf("shards of %s: %s holds %q, not a number of shards (delete it, or flush the queue)", name, NewKeys(name).Sharding, v)
	}
	return n, nil
}

// AgreeShards records the queue's number of shards (1 for an unsharded one:
// nothing is written) unless one is recorded already, and fails with
// ErrShardsDiffer when that one differs.
func (q *Queue) AgreeShards(ctx context.Context) error {
	want := max(q.opts.Shards, 1)
	key := q.keys.Sharding
	if want > 1 {
		// SET NX rather than SETNX: the documented ACL (docs/ACL.md) grants SET.
		err := q.rdb.SetArgs(ctx, key, want, redis.SetArgs{Mode: "NX"}).Err()
		if err == nil {
			return nil
		}
		if !isNil(err) && !redis.HasErrorPrefix(err, "NOPERM") {
			return fmt.Errorf("record shards of %s: %w", q.opts.Name, err)
		}
	}
	got, err := ShardsOf(ctx, q.rdb, q.opts.Name)
	if err != nil {
		return err
	}
	// 0: none recorded (or an ACL user that may not read it): nothing to disagree with.
	if got != 0 && got != want {
		return fmt.Errorf("%w: queue %s has %d shards (%s), this process asked for %d: use --shards %d, or flush the queue first",
			ErrShardsDiffer, q.opts.Name, got, key, want, got)
	}
	return nil
}
