package queue

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Claim takes up to n tasks for worker (high before normal before low, oldest
// first) and leases them for Options.Lease. It never blocks; see WaitForWork.
// Callers pass n = their free slots, so a busy process never hoards tasks that an
// idle one could run.
func (q *Queue) Claim(ctx context.Context, worker string, n int) ([]Claimed, error) {
	if q.sharded() {
		return q.claimSharded(ctx, worker, n)
	}
	return q.claim(ctx, worker, n, 3)
}

// claim takes from the first levels pending lists (1: high only ... 3: all).
func (q *Queue) claim(ctx context.Context, worker string, n, levels int) ([]Claimed, error) {
	if n <= 0 {
		return nil, nil
	}
	args := q.claimArgs(worker, n)
	if levels < 3 {
		args = append(args, levels)
	}
	res, err := q.script(ctx, claimScript).Run(ctx, q.rdb, q.claimKeys(worker), args...).Slice()
	if err != nil {
		if isNil(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("claim for %s: %w", worker, q.explain(ctx, err))
	}
	return parseClaimed(worker, res)
}

func (q *Queue) claimKeys(worker string) []string {
	k := q.keys
	return []string{k.PendingHigh, k.Pending, k.PendingLow, k.Processing, k.Leases, k.Stats, k.Events,
		k.Worker(worker), k.Failed}
}

func (q *Queue) claimArgs(worker string, n int) []any {
	return []any{worker, n, ms(q.opts.Lease), q.opts.EventsMaxLen, q.keys.TaskPrefix(), q.opts.MaxAttempts}
}

// claimFields is the number of reply fields per claimed task (claim.lua).
const claimFields = 9

// parseClaimed decodes the claim script's reply (shared by Claim and
// FinishClaim): the claim time, then claimFields fields per task.
func parseClaimed(worker string, res []any) ([]Claimed, error) {
	if len(res) == 0 {
		return nil, nil
	}
	if (len(res)-1)%claimFields != 0 {
		return nil, fmt.Errorf("claim for %s: unexpected reply of %d fields", worker, len(res))
	}
	at := fromMS(num(res[0]))
	out := make([]Claimed, 0, (len(res)-1)/claimFields)
	for f := res[1:]; len(f) >= claimFields; f = f[claimFields:] {
		c := Claimed{
			ID:          str(f[0]),
			Name:        str(f[1]),
			Priority:    Priority(str(f[2])),
			Payload:     []byte(str(f[3])),
			Attempt:     int(num(f[4])),
			MaxAttempts: int(num(f[5])),
			CreatedAt:   parseStamp(str(f[6])),
			HasBlob:     num(f[7]) > 0,
			ClaimedAt:   at,
		}
		if ms := num(f[8]); ms > 0 {
			c.Timeout = time.Duration(ms) * time.Millisecond
		}
		out = append(out, c)
	}
	return out, nil
}

// WaitForWork blocks until a task may be waiting (a wake-up token arrives) or the
// timeout passes. Idle workers sit here instead of sleep-polling; each enqueue
// pushes one token, and Redis hands it to the longest-waiting client, so one new
// task wakes one worker, within a millisecond on a LAN.
//
// A timeout under a second is sent as a decimal (Redis ≥ 6): go-redis's BLPop
// would round it up to 1s. The worker waits that little at first, because a
// course-style producer's RPUSH pushes no token (see workers' idle wait).
func (q *Queue) WaitForWork(ctx context.Context, timeout time.Duration) (bool, error) {
	if q.sharded() {
		return q.shards[0].WaitForWork(ctx, timeout) // every token goes there (sharded.go)
	}
	var err error
	if timeout < time.Second {
		timeout = max(timeout, time.Millisecond)
		err = q.rdb.Do(ctx, "BLPOP", q.keys.Signal, strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64)).Err()
	} else {
		err = q.rdb.BLPop(ctx, timeout, q.keys.Signal).Err()
	}
	if isNil(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("wait for work: %w", err)
	}
	return true, nil
}

// Blob returns the input bytes that travel with task id.
func (q *Queue) Blob(ctx context.Context, id string) ([]byte, error) {
	if q.sharded() {
		return q.blobSharded(ctx, id)
	}
	b, err := q.rdb.Get(ctx, q.keys.Blob(id)).Bytes()
	if isNil(err) {
		return nil, fmt.Errorf("blob of %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob of %s: %w", id, err)
	}
	return b, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// parseStamp reads a record's time: Unix seconds with a fraction, as the
// course's Python code (time.time()) and imgq's scripts write them, or whole
// milliseconds (an older imgq). Anything else is the zero time.
func parseStamp(s string) time.Time {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	if v > 1e11 {
		return time.UnixMilli(int64(v))
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3)
}
