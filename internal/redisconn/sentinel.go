package redisconn

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelScheme is the scheme of a URL that names a master through Redis
// Sentinel: redis+sentinel://[user:password@]host1:port1,host2:port2/mastername[/db]
// (the form redis-py-based tools use).
const SentinelScheme = "redis+sentinel"

// DefaultSentinelPort is Sentinel's port, used for a host given without one.
const DefaultSentinelPort = "26379"

// sentinelParams are the query parameters a redis+sentinel:// URL takes on top
// of go-redis' connection options: the Sentinels' own credentials, when they
// differ from the master's (Sentinel's requirepass is separate from the data
// nodes'). The password's value is hidden by Redact like that of any parameter
// that is not a public option; the user name is shown, as in the user info.
var sentinelParams = []string{"sentinel_username", "sentinel_password"}

// sentinelURL is a redis+sentinel:// URL cut into its parts. The host list is
// cut out by hand: net/url takes "h1:1,h2:2" as one host and refuses a list
// with a bracketed IPv6 address or a host with no port.
type sentinelURL struct {
	hosts string // "h1:1,h2:2" as written
	// stand is the URL with the host list replaced by one placeholder host, so
	// net/url can parse the user info, path and query the usual way.
	stand string
}

// hostList is what a host list may hold: host names, IPv4 and bracketed IPv6
// addresses, ports and commas. Anything else (a stray '@', a space) makes the
// URL unparseable rather than risk printing a secret.
var hostList = regexp.MustCompile(`^[A-Za-z0-9._\-:\[\],%]+$`)

const placeholderHost = "sentinels.invalid"

// isSentinel reports whether raw uses the redis+sentinel scheme.
func isSentinel(raw string) bool {
	scheme, _, ok := strings.Cut(raw, "://")
	return ok && strings.EqualFold(scheme, SentinelScheme)
}

// splitSentinel cuts a redis+sentinel:// URL; ok is false when it is not one
// or its host list is malformed.
func splitSentinel(raw string) (sentinelURL, bool) {
	if !isSentinel(raw) {
		return sentinelURL{}, false
	}
	rest := raw[len(SentinelScheme)+len("://"):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hosts = authority[:at+1], authority[at+1:]
	}
	if !hostList.MatchString(hosts) {
		return sentinelURL{}, false
	}
	return sentinelURL{hosts: hosts, stand: "redis://" + userinfo + placeholderHost + tail}, true
}

// parseAny is url.Parse that also takes redis+sentinel:// URLs: their host is
// the placeholder, and hosts the list as written ("" for other URLs).
func parseAny(raw string) (u *url.URL, hosts string, err error) {
	if !isSentinel(raw) {
		u, err = url.Parse(raw)
		return u, "", err
	}
	s, ok := splitSentinel(raw)
	if !ok {
		return nil, "", fmt.Errorf("malformed sentinel host list")
	}
	u, err = url.Parse(s.stand)
	return u, s.hosts, err
}

// sentinelAddrs turns "h1:1,h2,[::1]:3" into host:port addresses, with
// Sentinel's default port where a host has none.
func sentinelAddrs(hosts string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return nil, fmt.Errorf("empty host in the sentinel list")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			// No port: a name, an IPv4 address or a bracketed IPv6 one.
			host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), DefaultSentinelPort
			if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
				return nil, fmt.Errorf("sentinel host %q: want host:port or [ipv6]:port", h)
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("sentinel host %q: bad port", h)
		}
		if host == "" {
			return nil, fmt.Errorf("sentinel host %q: missing host name", h)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}

// ParseSentinelURL parses redis+sentinel://[user:password@]host1[:port1],host2[:port2]/mastername[/db][?options]
// into go-redis failover options. The user info is the master's credentials
// (the data nodes' requirepass or ACL user: the master and, after a failover,
// the replica that replaces it); Sentinels that require a password of their
// own take ?sentinel_password= (and ?sentinel_username=). The other query
// parameters are go-redis' connection options, as in a redis:// URL. Errors
// never contain a password.
func ParseSentinelURL(raw string) (*redis.FailoverOptions, error) {
	want := "want redis+sentinel://[user:password@]host1:port1,host2:port2/mastername[/db]"
	s, ok := splitSentinel(raw)
	if !ok {
		return nil, fmt.Errorf("redis url %s: malformed sentinel host list (%s)", Redact(raw), want)
	}
	addrs, err := sentinelAddrs(s.hosts)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: %s", Redact(raw), scrub(err.Error(), raw))
	}
	u, err := url.Parse(s.stand)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: not a URL (%s)", Redact(raw), want)
	}
	path := strings.Split(strings.Trim(u.Path, "/"), "/")
	if path[0] == "" || len(path) > 2 {
		return nil, fmt.Errorf("redis url %s: the path names the master (%s)", Redact(raw), want)
	}
	master, db := path[0], "0"
	if len(path) == 2 {
		db = path[1]
	}
	q := u.Query()
	if q.Has("password") {
		return nil, fmt.Errorf("redis url %s: the master's password goes in the user info (redis+sentinel://:PASSWORD@hosts/master), not in ?password=", Redact(raw))
	}
	sentUser, sentPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	for _, p := range sentinelParams {
		q.Del(p)
	}
	// go-redis reads the user info, the db and the connection options; the
	// address it parses is the placeholder and is replaced by the Sentinels'.
	u.Path, u.RawPath, u.RawQuery = "/"+db, "", q.Encode()
	ro, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redis url %s: %s", Redact(raw), scrub(err.Error(), raw))
	}
	return failoverOptions(ro, master, addrs, sentUser, sentPass), nil
}

// failoverOptions carries a redis:// URL's options over to a failover client.
func failoverOptions(ro *redis.Options, master string, addrs []string, sentUser, sentPass string) *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName: master, SentinelAddrs: addrs,
		SentinelUsername: sentUser, SentinelPassword: sentPass,
		Username: ro.Username, Password: ro.Password, DB: ro.DB,
		ClientName: ro.ClientName, Protocol: ro.Protocol,
		MaxRetries: ro.MaxRetries, MinRetryBackoff: ro.MinRetryBackoff, MaxRetryBackoff: ro.MaxRetryBackoff,
		DialTimeout: ro.DialTimeout, ReadTimeout: ro.ReadTimeout, WriteTimeout: ro.WriteTimeout,
		PoolFIFO: ro.PoolFIFO, PoolSize: ro.PoolSize, PoolTimeout: ro.PoolTimeout,
		MinIdleConns: ro.MinIdleConns, MaxIdleConns: ro.MaxIdleConns, MaxActiveConns: ro.MaxActiveConns,
		ConnMaxIdleTime: ro.ConnMaxIdleTime, ConnMaxLifetime: ro.ConnMaxLifetime,
	}
}

// sentinels asks the Sentinels, in turn, which master they elected: the
// failover client follows it by itself, but says nothing about it.
type sentinels struct {
	master  string
	clients []*redis.SentinelClient
}

func newSentinels(fo *redis.FailoverOptions) *sentinels {
	s := &sentinels{master: fo.MasterName}
	for _, a := range fo.SentinelAddrs {
		s.clients = append(s.clients, redis.NewSentinelClient(&redis.Options{
			Addr: a, Username: fo.SentinelUsername, Password: fo.SentinelPassword,
			DialTimeout: fo.DialTimeout, ReadTimeout: time.Second, MaxRetries: -1,
		}))
	}
	return s
}

// masterAddr is the master's host:port per the first Sentinel that answers.
func (s *sentinels) masterAddr(ctx context.Context) (string, error) {
	var last error
	for _, c := range s.clients {
		hp, err := c.GetMasterAddrByName(ctx, s.master).Result()
		if err == nil && len(hp) == 2 {
			return net.JoinHostPort(hp[0], hp[1]), nil
		}
		if err == nil {
			err = fmt.Errorf("no master named %q", s.master)
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("ask sentinels for master %s: %w", s.master, last)
}

func (s *sentinels) close() {
	for _, c := range s.clients {
		_ = c.Close()
	}
}
