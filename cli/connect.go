package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
)

// connect opens Redis per the global flags. embeddedOK allows the zero-setup
// fallback (the dashboard and demos); plain commands talk only to a real server
// unless --redis embedded is given, since an empty private server would be useless.
func (g *globals) connect(ctx context.Context, embeddedOK bool, share *shareOpts) (*redisconn.Conn, *queue.Queue, error) {
	if err := queue.ValidateName(g.queueName); err != nil {
		return nil, nil, usageError{err}
	}
	if g.shards < 0 || g.shards > queue.MaxShards {
		return nil, nil, usageError{fmt.Errorf("--shards %d: between 1 and %d", g.shards, queue.MaxShards)}
	}
	if g.durable && g.cluster {
		// WAIT has no key: the cluster client would send it to any node, not
		// the one that took the write. min-replicas-to-write is the way there.
		return nil, nil, usageError{errors.New("--durable does not work with --cluster (WAIT must reach the node that took the write); set min-replicas-to-write on the masters instead")}
	}
	if err := checkRedisURL(g.redisURL); err != nil {
		return nil, nil, usageError{err}
	}
	o := redisconn.Options{URL: g.redisURL, Cluster: g.cluster, EmbeddedOK: embeddedOK}
	if share != nil {
		o.BindAll, o.Password = share.bindAll, share.password
	}
	conn, err := redisconn.Connect(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if conn.Embedded != nil {
		why := "no Redis answered at " + redisconn.DefaultURL + "; started"
		if g.redisURL == redisconn.Embedded {
			why = "started"
		}
		fmt.Fprintf(g.errOut, "imgq: %s an embedded Redis at %s (data lives in memory only and ends with this process).\n", why, conn.Embedded.Addr)
		fmt.Fprintf(g.errOut, "imgq: other terminals can join with --redis %s\n", embeddedURL(conn.Embedded.Addr, share))
	}
	if err := g.adoptShards(ctx, conn); err != nil {
		conn.Close()
		return nil, nil, err
	}
	q, err := queue.New(conn.Client, g.queueOptions())
	if err != nil {
		conn.Close()
		return nil, nil, usageError{err}
	}
	if err := q.AgreeShards(ctx); err != nil {
		conn.Close()
		if errors.Is(err, queue.ErrShardsDiffer) {
			return nil, nil, usageError{err}
		}
		return nil, nil, redisconn.DescribeError(conn.Addr, err)
	}
	if err := q.LoadScripts(ctx); err != nil {
		conn.Close()
		return nil, nil, redisconn.DescribeError(conn.Addr, err)
	}
	// A key of the wrong type (an older imgq's layout, another program) is said
	// plainly before anything runs. The dashboard starts anyway and shows it.
	if !embeddedOK && !g.skipLayout {
		if err := q.CheckLayout(ctx); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, q, nil
}

// adoptShards takes the number of shards the queue was made with when
// --shards was not given (so `imgq worker` joins a sharded queue as it is), and
// then refuses, on a Cluster, a queue whose keys would spread over slots.
func (g *globals) adoptShards(ctx context.Context, conn *redisconn.Conn) error {
	if g.shards == 0 {
		n, err := queue.ShardsOf(ctx, conn.Client, g.queueName)
		if err != nil {
			return redisconn.DescribeError(conn.Addr, err)
		}
		if n > 1 {
			g.shards = n
			fmt.Fprintf(g.errOut, "imgq: queue %s is sharded over %d sub-queues (its %s key); joining them\n",
				g.queueName, n, queue.NewKeys(g.queueName).Sharding)
		}
	}
	if g.cluster && g.shards < 2 && !queue.HasHashTag(g.queueName) {
		// Without a tag the queue's keys spread over slots and every script
		// fails with CROSSSLOT; say what to do instead.
		return usageError{fmt.Errorf("on Redis Cluster a queue name needs a hash tag so all its keys share one slot: use --queue {%s}, or --shards N to spread it over N slots", g.queueName)}
	}
	return nil
}

// checkRedisURL parses --redis before connecting, so a malformed URL is a
// misuse (exit 2), not an outage. Its errors never carry the password.
func checkRedisURL(raw string) error {
	if raw == "" || raw == redisconn.Embedded {
		return nil
	}
	var err error
	if scheme, _, _ := strings.Cut(raw, "://"); strings.EqualFold(scheme, redisconn.SentinelScheme) {
		_, err = redisconn.ParseSentinelURL(raw)
	} else {
		_, err = redisconn.ParseURL(raw)
	}
	return err
}

// embeddedURL is the URL other terminals join the embedded Redis at: with
// --share it carries this run's generated password (printed on purpose, like the
// dashboard's join line: it is for the room, and dies with the process), or
// they would get NOAUTH.
func embeddedURL(addr string, share *shareOpts) string {
	if share != nil && share.password != "" {
		return "redis://:" + url.PathEscape(share.password) + "@" + addr + "/0"
	}
	return "redis://" + addr + "/0"
}
