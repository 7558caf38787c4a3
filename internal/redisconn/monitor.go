package redisconn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxMonitorLine bounds one MONITOR line kept in memory: an EVALSHA that carries
// a 20 MiB image would otherwise be one 80 MB line to copy, clean and lay out on
// every frame. The rest of a longer line is read and dropped, and the line ends
// with "… (N bytes)" to say so.
const MaxMonitorLine = 2048

// Monitor opens its own connection to the server rdb talks to, sends MONITOR,
// and streams the server's lines (`1732581234.123456 [0 127.0.0.1:5555] "BLPOP"
// ...`) until ctx ends; then the connection is closed and the channel too.
//
// It uses its own connection rather than one of go-redis' pool: a connection in
// MONITOR mode never answers anything else, and closing it is the only clean way
// to stop it (go-redis' MonitorCmd blocks its reader on a full channel and cannot
// be stopped while the server is quiet). A slow reader never slows Redis down:
// lines that do not fit the channel are dropped and counted in dropped (may be
// nil), and the feed says so in band: a line "imgq:dropped N" (ParseMonitorLine
// reads it as Dropped) stands where N lines are missing, so a view can say what
// it did not show, and where. The reader goroutine is counted in wg (may be nil), so an owner can wait
// for it to end.
func Monitor(ctx context.Context, rdb redis.UniversalClient, dropped *atomic.Int64, wg *sync.WaitGroup) (<-chan string, error) {
	c, ok := rdb.(*redis.Client)
	if !ok {
		return nil, errors.New("MONITOR needs a single Redis server (this is a cluster client)")
	}
	opt := c.Options()
	dial := opt.Dialer
	if dial == nil {
		dial = redis.NewDialer(opt) // TLS and timeouts as go-redis would
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := dial(dctx, opt.Network, opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("monitor: connect: %w", err)
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	if err := monitorHandshake(dctx, conn, r, opt); err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	out := make(chan string, 4096)
	if wg != nil {
		wg.Add(1)
	}
	go func() {
		if wg != nil {
			defer wg.Done()
		}
		defer close(out)
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // unblocks the read
		defer stop()
		defer conn.Close()
		var gap int64 // dropped since the last line that got through
		for {
			line, err := readLine(r, MaxMonitorLine)
			if err != nil {
				return
			}
			if gap > 0 {
				// Say where lines are missing, before the next one that fits.
				select {
				case out <- droppedLine(gap):
					gap = 0
				default:
				}
			}
			select {
			case out <- strings.TrimPrefix(line, "+"):
			default:
				gap++
				if dropped != nil {
					dropped.Add(1)
				}
			}
		}
	}()
	return out, nil
}

// monitorHandshake authenticates as go-redis would and sends MONITOR.
func monitorHandshake(ctx context.Context, conn net.Conn, r *bufio.Reader, opt *redis.Options) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	user, pass := opt.Username, opt.Password
	switch {
	case opt.CredentialsProviderContext != nil:
		var err error
		if user, pass, err = opt.CredentialsProviderContext(ctx); err != nil {
			return fmt.Errorf("monitor: credentials: %w", err)
		}
	case opt.CredentialsProvider != nil:
		user, pass = opt.CredentialsProvider()
	}
	send := func(args ...string) error {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			return err
		}
		line, err := readLine(r, 4096)
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "-") {
			return errors.New(strings.TrimPrefix(line, "-"))
		}
		return nil
	}
	if pass != "" {
		args := []string{"AUTH", pass}
		if user != "" {
			args = []string{"AUTH", user, pass}
		}
		if err := send(args...); err != nil {
			return fmt.Errorf("monitor: auth: %w", ErrAuth)
		}
	}
	if err := send("MONITOR"); err != nil {
		return fmt.Errorf("MONITOR refused by the server: %w", err)
	}
	return nil
}

// readLine reads one RESP line, keeping at most limit bytes of it and saying how
// long a longer one was.
func readLine(r *bufio.Reader, limit int) (string, error) {
	var b []byte
	total := 0
	for {
		chunk, more, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		total += len(chunk)
		if room := limit - len(b); room > 0 {
			b = append(b, chunk[:min(len(chunk), room)]...)
		}
		if !more {
			if total > limit {
				return fmt.Sprintf("%s… (%d bytes)", b, total), nil
			}
			return string(b), nil
		}
	}
}
