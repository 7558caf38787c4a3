package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// monitorState tracks the MONITOR feed. gen tells results of an old feed
// (switched off and on again) from the current one.
type monitorState struct {
	on     bool
	gen    int
	cancel context.CancelFunc
	lines  <-chan string
	wg     *sync.WaitGroup // the built-in feed's reader goroutines
}

// wait blocks until every reader goroutine the built-in feed started has ended.
func (s *monitorState) wait() {
	if s.wg != nil {
		s.wg.Wait()
	}
}

// dialMonitor is the built-in MONITOR feed, used when Options.Monitor is nil.
// It opens its own connection rather than taking one from go-redis' pool: a
// connection in MONITOR mode never answers anything else, and closing it is the
// only clean way to stop it (go-redis' MonitorCmd spins and cannot be
// interrupted while it waits for a line). The reader ends when ctx does.
func dialMonitor(rdb redis.UniversalClient, wg *sync.WaitGroup) func(context.Context) (<-chan string, error) {
	return func(ctx context.Context) (<-chan string, error) {
		c, ok := rdb.(*redis.Client)
		if !ok {
			return nil, errors.New("MONITOR needs a single Redis server (this is a cluster or ring client)")
		}
		opt := c.Options()
		dial := opt.Dialer
		if dial == nil {
			dial = redis.NewDialer(opt)
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conn, err := dial(dctx, opt.Network, opt.Addr)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		r := bufio.NewReader(conn)
		if err := monitorHandshake(dctx, conn, r, opt); err != nil {
			_ = conn.Close()
			return nil, err
		}
		_ = conn.SetDeadline(time.Time{})
		ch := make(chan string, 4096)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ch)
			stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
			defer stop()
			defer conn.Close()
			for {
				line, err := readLine(r, maxMonitorLine)
				if err != nil {
					return
				}
				line = strings.TrimPrefix(line, "+")
				select {
				case ch <- line:
				case <-ctx.Done():
					return
				}
			}
		}()
		return ch, nil
	}
}

// monitorHandshake authenticates like go-redis would and sends MONITOR.
func monitorHandshake(ctx context.Context, conn net.Conn, r *bufio.Reader, opt *redis.Options) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	user, pass := opt.Username, opt.Password
	switch {
	case opt.CredentialsProviderContext != nil:
		var err error
		if user, pass, err = opt.CredentialsProviderContext(ctx); err != nil {
			return fmt.Errorf("credentials: %w", err)
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
			return fmt.Errorf("auth: %w", err)
		}
	}
	return send("MONITOR")
}

// readLine reads one RESP line, keeping at most limit bytes of it.
func readLine(r *bufio.Reader, limit int) (string, error) {
	var b []byte
	for {
		chunk, more, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		if room := limit - len(b); room > 0 {
			b = append(b, chunk[:min(len(chunk), room)]...)
		}
		if !more {
			return string(b), nil
		}
	}
}
