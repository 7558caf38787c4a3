package redisconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Monitor opens its own connection, sends MONITOR, and streams the server's lines
// ("1732581234.123456 [0 127.0.0.1:5555] "BLPOP" ...") on the returned channel
// until ctx ends, when the connection is closed and the channel too.
//
// It is written on a raw connection because go-redis' MonitorCmd blocks its
// reader on a full channel and cannot be stopped while the server is quiet. Here
// a slow reader never slows Redis down: lines that do not fit are dropped and
// counted in *dropped.
func Monitor(ctx context.Context, o *redis.Options, dropped *atomic.Int64) (<-chan string, error) {
	d := net.Dialer{Timeout: 3 * time.Second}
	var c net.Conn
	var err error
	if o.TLSConfig != nil {
		c, err = (&tls.Dialer{NetDialer: &d, Config: o.TLSConfig}).DialContext(ctx, "tcp", o.Addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", o.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: dial: %w", err)
	}
	r := bufio.NewReaderSize(c, 64<<10)
	send := func(args ...string) (string, error) {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write([]byte(b.String())); err != nil {
			return "", err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "-") {
			return "", errors.New(strings.TrimPrefix(line, "-"))
		}
		return line, nil
	}
	if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.Username != "" {
			args = []string{"AUTH", o.Username, o.Password}
		}
		if _, err := send(args...); err != nil {
			c.Close()
			return nil, fmt.Errorf("monitor: auth: %w", ErrAuth)
		}
	}
	if _, err := send("MONITOR"); err != nil {
		c.Close()
		return nil, fmt.Errorf("monitor refused by the server: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	out := make(chan string, 4096)
	go func() {
		<-ctx.Done()
		c.Close() // unblocks the reader below
	}()
	go func() {
		defer close(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "+")
			select {
			case out <- line:
			default:
				if dropped != nil {
					dropped.Add(1)
				}
			}
		}
	}()
	return out, nil
}
