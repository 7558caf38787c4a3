// Package redisconn turns a user's --redis setting into a go-redis client: URL
// parsing with passwords kept out of every message, the embedded fallback, and
// go-redis' own logging routed away from the terminal.
package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is where imgq looks for Redis when told nothing.
const DefaultURL = "redis://127.0.0.1:6379/0"

// Embedded is the --redis value that forces the in-process server.
const Embedded = "embedded"

// Redact hides the password in a Redis URL, for printing, however the URL
// carries it: the user info (redis://user:PASSWORD@host), or a query parameter
// (?password=..., or any parameter that is not one of go-redis' connection
// options, since imgq cannot tell what it holds). A fragment is dropped. Anything
// that does not parse is hidden whole, since it may hold a secret. A
// redis+sentinel:// URL keeps its list of Sentinel hosts.
func Redact(raw string) string {
	u, hosts, err := parseAny(raw)
	if err != nil || u.Host == "" {
		return "<unparseable redis url>"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" || u.ForceQuery {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, v, hasV := strings.Cut(p, "=")
			switch {
			case !plainKey.MatchString(k):
				parts[i] = "xxxxx"
			case hasV && !publicOptions[k]:
				parts[i] = k + "=xxxxx"
			case hasV:
				parts[i] = k + "=" + url.QueryEscape(safeValue(v))
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	u.Fragment, u.RawFragment = "", ""
	if hosts != "" {
		u.Scheme, u.Host = SentinelScheme, hosts
	}
	return u.Redacted()
}

// safeValue is a public option's value as printed: unescaped when it can be.
func safeValue(v string) string {
	if s, err := url.QueryUnescape(v); err == nil {
		return s
	}
	return v
}

var plainKey = regexp.MustCompile(`^[A-Za-z_]{1,40}$`)

// publicOptions are go-redis' URL options that hold no secret: their values are
// shown in messages. Every other parameter's value is hidden.
var publicOptions = map[string]bool{
	"db": true, "protocol": true, "client_name": true, "max_retries": true,
	"min_retry_backoff": true, "max_retry_backoff": true, "dial_timeout": true,
	"read_timeout": true, "write_timeout": true, "pool_fifo": true, "pool_size": true,
	"pool_timeout": true, "min_idle_conns": true, "max_idle_conns": true,
	"max_active_conns": true, "max_concurrent_dials": true, "conn_max_idle_time": true,
	"idle_timeout": true, "conn_max_lifetime": true, "max_conn_age": true,
	"conn_max_lifetime_jitter": true, "skip_verify": true, "pipeline_pool_size": true,
	"pipeline_read_buffer_size": true, "pipeline_write_buffer_size": true,
	"sentinel_username": true, // redis+sentinel:// (sentinel_password stays hidden)
}

// secrets lists what Redact hides in raw, in every form a message may quote it:
// the user-info password and the values of non-public query parameters, raw and
// unescaped. Values of under 3 characters are left out (replacing "0" or "1"
// everywhere would garble a message; such a value is no password worth the name).
func secrets(raw string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 {
			out = append(out, s)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s && len(d) >= 3 {
			out = append(out, d)
		}
		if d, err := url.PathUnescape(s); err == nil && d != s && len(d) >= 3 {
			out = append(out, d)
		}
	}
	if u, _, err := parseAny(raw); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.UserPassword("", p).String()[1:])
		}
		for _, p := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(p, "=")
			if !publicOptions[k] {
				add(k)
				add(v)
			}
		}
		add(u.Fragment)
		add(u.RawFragment)
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// scrub replaces every secret of raw found in msg.
func scrub(msg, raw string) string {
	msg = strings.ReplaceAll(msg, raw, Redact(raw))
	for _, s := range secrets(raw) {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// ParseURL parses redis:// and rediss:// (TLS) URLs with user, password and db.
// Its errors never contain the URL's password, however the URL carries it
// (go-redis' own errors repeat parts of the URL, so they are scrubbed).
func ParseURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: not a URL (want redis://[user:password@]host:port/db)", Redact(raw))
	}
	switch u.Scheme {
	case "redis", "rediss":
	case "":
		return nil, fmt.Errorf("redis url %s: missing scheme (want redis:// or rediss://)", Redact(raw))
	case SentinelScheme:
		return nil, fmt.Errorf("redis url %s: this needs one server's address (redis://host:port/db), not a Sentinel master name", Redact(raw))
	default:
		return nil, fmt.Errorf("redis url %s: unsupported scheme %q (want redis:// or rediss://)", Redact(raw), scrub(u.Scheme, raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis url %s: missing host", Redact(raw))
	}
	if u.Query().Has("password") {
		return nil, fmt.Errorf("redis url %s: a password goes in the user info (redis://:PASSWORD@host:port/db), not in ?password=", Redact(raw))
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: %s", Redact(raw), scrub(err.Error(), raw))
	}
	if u.Scheme == "rediss" && opts.TLSConfig == nil {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	}
	return opts, nil
}

// DescribeError turns a connection failure into a sentence a user can act on,
// without the password.
func DescribeError(redacted string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "invalid password") ||
		strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("redis at %s refused the password: %w", redacted, ErrAuth)
	case strings.Contains(msg, "NOAUTH"):
		return fmt.Errorf("redis at %s needs a password (redis://:PASSWORD@host:port): %w", redacted, ErrAuth)
	case strings.Contains(msg, "connection refused"):
		return fmt.Errorf("nothing answers at %s (is redis-server running?): %w", redacted, ErrUnreachable)
	case strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "no such host") || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("redis at %s did not answer (%v): %w", redacted, err, ErrUnreachable)
	}
	return fmt.Errorf("redis at %s: %w", redacted, err)
}

// Errors callers branch on.
var (
	ErrAuth        = errors.New("authentication failed")
	ErrUnreachable = errors.New("redis unreachable")
)
