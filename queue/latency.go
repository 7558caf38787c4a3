package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// OldestPending is the queue latency: how long the oldest task waiting in any
// pending list has waited, by Redis' clock (0 when nothing waits). It reads
// the head of each pending list (producers RPUSH, so the head is the oldest;
// a task handed back goes to the head too, and is older still) and that
// task's created_at: two round trips whatever the lengths of the lists.
//
// A head whose record is missing or has no readable created_at (a task being
// claimed at that instant, a foreign record) is skipped.
func (q *Queue) OldestPending(ctx context.Context) (time.Duration, error) {
	if q.sharded() {
		var oldest time.Duration
		err := q.onShards(func(s *Queue) error {
			d, err := s.OldestPending(ctx)
			oldest = max(oldest, d)
			return err
		})
		return oldest, err
	}
	k := q.keys
	lists := []string{k.PendingHigh, k.Pending, k.PendingLow}
	var now *redis.TimeCmd
	heads := make([]*redis.StringSliceCmd, len(lists))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		for i, l := range lists {
			heads[i] = p.LRange(ctx, l, 0, 0) // LINDEX l 0, with the commands of docs/ACL.md
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return 0, fmt.Errorf("oldest pending: %w", q.explain(ctx, err))
	}
	var ids []string
	for _, h := range heads {
		if v := h.Val(); len(v) == 1 && v[0] != "" {
			ids = append(ids, v[0])
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	stamps := make([]*redis.StringCmd, len(ids))
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			stamps[i] = p.HGet(ctx, k.Task(id), "created_at")
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return 0, fmt.Errorf("oldest pending: %w", q.explain(ctx, err))
	}
	var age time.Duration
	for _, s := range stamps {
		created := parseStamp(s.Val())
		if created.IsZero() {
			continue
		}
		age = max(age, now.Val().Sub(created))
	}
	return age, nil
}
