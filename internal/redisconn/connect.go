package redisconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Conn is a connected client and what the user should be told about it.
type Conn struct {
	Client   redis.UniversalClient
	Addr     string // redacted URL, safe to print
	Embedded *EmbeddedServer
	// MasterName is the Sentinel master name of a redis+sentinel:// URL ("" otherwise).
	MasterName string
	sentinels  *sentinels // set for redis+sentinel:// URLs
	server     string     // host:port of a single server (standalone, embedded)
}

// Close closes the client and stops the embedded server if there is one.
func (c *Conn) Close() error {
	err := c.Client.Close()
	if c.sentinels != nil {
		c.sentinels.close()
	}
	if c.Embedded != nil {
		c.Embedded.Close()
	}
	return err
}

// Topology kinds, as Conn.Topology names them.
const (
	Standalone   = "standalone"
	Sentinel     = "sentinel"
	Cluster      = "cluster"
	EmbeddedKind = "embedded"
)

// Topology says what the client is connected to: Standalone, Sentinel,
// Cluster or EmbeddedKind.
func (c *Conn) Topology() string {
	switch {
	case c.Embedded != nil:
		return EmbeddedKind
	case c.sentinels != nil:
		return Sentinel
	case c.server == "":
		return Cluster
	}
	return Standalone
}

// MasterAddr is host:port of the master the client writes to now. Through
// Sentinel it is asked of the Sentinels each call (one round trip to the first
// that answers), so a caller polling it sees a failover as a change of
// address; the failover client itself has already followed it. For a single
// server it is that server's address, and "" for a cluster (many masters).
func (c *Conn) MasterAddr(ctx context.Context) (string, error) {
	if c.sentinels == nil {
		return c.server, nil
	}
	return c.sentinels.masterAddr(ctx)
}

// Options for Connect.
type Options struct {
	URL         string // "" means the default, with the embedded fallback; "embedded" forces it
	Cluster     bool   // use the cluster client (URL names one seed node)
	EmbeddedOK  bool   // allow the embedded fallback when URL is "" and nothing answers
	BindAll     bool   // embedded only: listen on every interface (classroom --share)
	Password    string // embedded only: require this password
	DialTimeout time.Duration
}

func init() {
	// go-redis logs reconnects to stderr, which would scribble over the full-screen
	// dashboard. imgq reports connection state itself.
	redis.SetLogger(silent{})
}

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// Quiet sends the standard logger (used by some dependencies) nowhere.
func Quiet() { log.SetOutput(io.Discard) }

// Connect returns a client that answered PING. With no URL it tries the default
// address and, when nothing answers there and the fallback is allowed, starts an
// embedded Redis on 127.0.0.1:6379 (or a free port if that is taken).
func Connect(ctx context.Context, o Options) (*Conn, error) {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	raw := o.URL
	if raw == Embedded {
		return startEmbedded(ctx, o)
	}
	if isSentinel(raw) {
		return connectSentinel(ctx, o)
	}
	explicit := raw != ""
	if !explicit {
		raw = DefaultURL
	}
	ro, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	ro.DialTimeout = o.DialTimeout
	var c redis.UniversalClient
	if o.Cluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: []string{ro.Addr}, Username: ro.Username, Password: ro.Password,
			TLSConfig: ro.TLSConfig, DialTimeout: ro.DialTimeout,
		})
	} else {
		c = redis.NewClient(ro)
	}
	pctx, cancel := context.WithTimeout(ctx, o.DialTimeout+time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		if !explicit && o.EmbeddedOK && isNothingThere(err) {
			return startEmbedded(ctx, o)
		}
		return nil, DescribeError(Redact(raw), err)
	}
	conn := &Conn{Client: c, Addr: Redact(raw)}
	if !o.Cluster {
		conn.server = ro.Addr
	}
	return conn, nil
}

// connectSentinel connects to the master a redis+sentinel:// URL names,
// through go-redis' failover client: it asks the Sentinels for the master's
// address, and on a failover (Sentinel's +switch-master) drops its
// connections to the old master and dials the new one.
func connectSentinel(ctx context.Context, o Options) (*Conn, error) {
	if o.Cluster {
		return nil, fmt.Errorf("redis url %s: --cluster takes a cluster node's redis:// URL, not a Sentinel master", Redact(o.URL))
	}
	fo, err := ParseSentinelURL(o.URL)
	if err != nil {
		return nil, err
	}
	fo.DialTimeout = o.DialTimeout
	c := redis.NewFailoverClient(fo)
	pctx, cancel := context.WithTimeout(ctx, o.DialTimeout+time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, describeSentinelError(ctx, fo, Redact(o.URL), err)
	}
	return &Conn{Client: c, Addr: Redact(o.URL), MasterName: fo.MasterName, sentinels: newSentinels(fo)}, nil
}

// describeSentinelError says which link failed: the failover client only
// reports that it gave up (a deadline), not whether the Sentinels or the
// master they named did not answer, so the Sentinels are asked directly.
func describeSentinelError(ctx context.Context, fo *redis.FailoverOptions, redacted string, err error) error {
	s := newSentinels(fo)
	defer s.close()
	ctx, cancel := context.WithTimeout(ctx, fo.DialTimeout+time.Second)
	defer cancel()
	addr, serr := s.masterAddr(ctx)
	switch {
	case errors.Is(serr, redis.Nil):
		return fmt.Errorf("the Sentinels at %s know no master named %q (see SENTINEL MASTERS): %w", redacted, fo.MasterName, ErrUnreachable)
	case serr != nil && isNothingThere(serr):
		return fmt.Errorf("no Sentinel answers at %s (are the redis-sentinel processes running?): %w", redacted, ErrUnreachable)
	case serr == nil && isNothingThere(err) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the Sentinels at %s name master %s, which does not answer: %w", redacted, addr, ErrUnreachable)
	}
	return DescribeError(redacted, err)
}

func isNothingThere(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "i/o timeout")
}

// EmbeddedServer is the in-process Redis (miniredis): zero setup, memory only.
type EmbeddedServer struct {
	M    *miniredis.Miniredis
	Addr string // host:port other terminals connect to
	stop chan struct{}
	done chan struct{}
}

// Close stops the clock and the server.
func (e *EmbeddedServer) Close() {
	close(e.stop)
	<-e.done
	e.M.Close()
}

func startEmbedded(ctx context.Context, o Options) (*Conn, error) {
	m := miniredis.NewMiniRedis()
	host := "127.0.0.1"
	if o.BindAll {
		host = "0.0.0.0"
	}
	if o.Password != "" {
		m.RequireAuth(o.Password)
	}
	if err := m.StartAddr(net.JoinHostPort(host, "6379")); err != nil {
		if err := m.StartAddr(net.JoinHostPort(host, "0")); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
	}
	_, port, _ := net.SplitHostPort(m.Addr())
	e := &EmbeddedServer{M: m, Addr: net.JoinHostPort("127.0.0.1", port), stop: make(chan struct{}), done: make(chan struct{})}
	go e.clock()
	c := redis.NewClient(&redis.Options{Addr: e.Addr, Password: o.Password})
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		e.Close()
		return nil, fmt.Errorf("embedded redis did not answer: %w", err)
	}
	return &Conn{Client: c, Addr: "redis://" + e.Addr + "/0", Embedded: e, server: e.Addr}, nil
}

// clock makes miniredis expire keys as real time passes: by itself it only
// expires them when told to, so leases, retention and TTLs would never lapse.
func (e *EmbeddedServer) clock() {
	defer close(e.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.M.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Hostname for join lines and worker ids.
func Hostname() string {
	h, _ := os.Hostname()
	return h
}
