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
	"strings"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is where imgq looks for Redis when told nothing.
const DefaultURL = "redis://127.0.0.1:6379/0"

// Embedded is the --redis value that forces the in-process server.
const Embedded = "embedded"

// Redact hides the password (and a user's secret) in a Redis URL, for printing.
// Anything that does not parse is hidden whole, since it may hold a secret.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<unparseable redis url>"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.Redacted()
}

// ParseURL parses redis:// and rediss:// (TLS) URLs with user, password and db.
// Its errors never contain the URL's password (go-redis' own errors repeat the
// whole URL, so they are not passed through).
func ParseURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: not a URL (want redis://[user:password@]host:port/db)", Redact(raw))
	}
	switch u.Scheme {
	case "redis", "rediss":
	case "":
		return nil, fmt.Errorf("redis url %s: missing scheme (want redis:// or rediss://)", Redact(raw))
	default:
		return nil, fmt.Errorf("redis url %s: unsupported scheme %q (want redis:// or rediss://)", Redact(raw), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis url %s: missing host", Redact(raw))
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		msg := err.Error()
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
		msg = strings.ReplaceAll(msg, raw, Redact(raw))
		return nil, fmt.Errorf("redis url %s: %s", Redact(raw), msg)
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
