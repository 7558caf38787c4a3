package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/sshview"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type dashFlags struct {
	workers  int
	interval time.Duration
	lang     string
	output   string
	share    bool
	sshAddr  string
	size     string
	metrics  string
	theme    string
	pace     time.Duration
}

// shareOpts are how the embedded Redis listens in classroom mode.
type shareOpts struct {
	bindAll  bool
	password string
}

func (d *dashFlags) register(root *cobra.Command) {
	f := root.Flags()
	f.IntVar(&d.workers, "workers", 3, "embedded workers to start (0: only watch)")
	f.DurationVar(&d.interval, "interval", 250*time.Millisecond, "dashboard refresh period")
	f.StringVar(&d.lang, "lang", "en", "labels language: en or es")
	f.StringVarP(&d.output, "output", "o", "output", "folder the embedded workers write results to")
	f.StringVar(&d.size, "size", "640x480", "size of the sample images the e/E keys enqueue")
	f.StringVar(&d.metrics, "metrics", "", metricsFlagHelp)
	f.StringVar(&d.theme, "theme", "auto", "colours: auto (follows the terminal's background), dark, light, or contrast (for a projector)")
	f.DurationVar(&d.pace, "pace", 0, "teaching pace: the least time every imgq worker on the queue spends on a task (e.g. 600ms, at most 10s), so a class can follow the work; < and > change it, quitting turns it off")
	f.BoolVar(&d.share, "share", false, "classroom mode: the embedded Redis listens on the network with a generated password, the dashboard is served read-only over SSH; shows the lines students type")
	f.StringVar(&d.sshAddr, "ssh-addr", sshview.DefaultAddr, `with --share: where students' read-only SSH dashboards listen ("" for none)`)
}

func runDash(ctx context.Context, g *globals, d *dashFlags) error {
	if d.lang != "en" && d.lang != "es" {
		return usageError{fmt.Errorf("--lang %q: choose en or es", d.lang)}
	}
	if _, err := common.ParseTheme(d.theme); err != nil {
		return usageError{fmt.Errorf("--theme: %w", err)}
	}
	if d.workers < 0 || d.workers > 256 {
		return usageError{fmt.Errorf("--workers %d: choose 0 to 256", d.workers)}
	}
	if d.interval < 50*time.Millisecond {
		return usageError{fmt.Errorf("--interval %s: at least 50ms", d.interval)}
	}
	if d.pace < 0 || d.pace > 10*time.Second {
		return usageError{fmt.Errorf("--pace %s: choose 0 to 10s", d.pace)}
	}
	sw, sh, err := parseSize(d.size)
	if err != nil {
		return usageError{err}
	}
	var share *shareOpts
	if d.share && (g.redisURL == "" || g.redisURL == redisconn.Embedded) {
		share = &shareOpts{bindAll: true, password: newPassword()}
		g.redisURL = redisconn.Embedded
	}
	redisconn.Quiet()
	conn, q, err := g.connect(ctx, true, share)
	if err != nil {
		return err
	}
	defer conn.Close()
	if w := shareWarning(g, conn, d.share); w != "" {
		fmt.Fprintln(g.errOut, "imgq: warning: "+w)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m, stopMetrics, err := startMetrics(ctx, g, q, d.metrics)
	if err != nil {
		return err
	}
	defer func() { _ = stopMetrics() }()
	// The pace goes to Redis before the embedded workers start, so their first
	// heartbeat (before their first claim) reads it; the dashboard turns it off
	// when it quits (tui.Options.Pace).
	ran := false
	if d.pace > 0 {
		if err := q.SetPace(ctx, d.pace); err != nil {
			return err
		}
		defer func() {
			if !ran { // failed before the dashboard (which turns it off) ran
				bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				defer cancel()
				_ = q.SetPace(bg, 0)
			}
		}()
	}
	var pool *workers.Pool
	if d.workers > 0 {
		h, err := newImageHandler(q, d.output, ".")
		if err != nil {
			return err
		}
		cfg := workers.Config{Handler: h.Handle, OnFailRate: h.SetFailRate,
			Grace: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}
		if m != nil {
			m.Observe(&cfg)
		}
		pool = workers.NewPool(ctx, q, cfg)
		if err := pool.Scale(d.workers); err != nil {
			return err
		}
	}
	// The dashboard does the housekeeping every worker does (declare silent
	// workers gone, recover lapsed leases, forward retries) even when it watches
	// only or its workers are scaled to 0, so a room whose workers all died
	// still sees its tasks come back. Errors show as the tasks not coming back.
	hk := queue.NewHousekeeper(q, queue.HousekeepPeriod(workers.DefaultHeartbeat), nil)
	hk.Start(ctx)
	defer hk.Stop()
	opts := tui.Options{
		Queue:     q,
		Enqueue:   workers.SampleEnqueuer(q, pipeline.MustParse(workers.CourseFilters), sw, sh),
		Monitor:   monitorFunc(conn),
		RedisAddr: conn.Addr,
		Embedded:  conn.Embedded != nil,
		Topology:  tui.TopologyOf(conn),
		Interval:  d.interval,
		Lang:      d.lang,
		Theme:     d.theme,
		Pace:      d.pace,
		JoinLine:  joinLine(g, conn, share, d.share) + shareNote(g, conn, d.share),
	}
	if pool != nil {
		opts.Workers = pool
	}
	stopShare, err := startViewers(ctx, d, share, &opts)
	if err != nil {
		return err
	}
	ran = true
	err = tui.Run(ctx, opts)
	stopShare()
	// Quit: embedded workers stop claiming, finish or hand back their tasks.
	cancel()
	hk.Stop()
	if pool != nil {
		pool.Wait()
	}
	return err
}

func newPassword() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// monitorFunc streams MONITOR lines from a dedicated connection. The embedded
// Redis does not implement MONITOR: say so rather than fail.
func monitorFunc(conn *redisconn.Conn) func(ctx context.Context) (<-chan string, error) {
	return func(ctx context.Context) (<-chan string, error) {
		if conn.Embedded != nil {
			return nil, errors.New("the embedded Redis (miniredis) has no MONITOR command; run a real redis-server and pass --redis to see the commands live")
		}
		return redisconn.Monitor(ctx, conn.Client, nil, nil)
	}
}

// joinLine is what students type to join, shown large in classroom mode. With
// the embedded Redis it carries the password generated for this run (that is
// its purpose: it is shown to the room, and dies with the process). For a real
// Redis it never shows that server's password: the teacher hands it out.
func joinLine(g *globals, conn *redisconn.Conn, share *shareOpts, shareFlag bool) string {
	if !shareFlag {
		return ""
	}
	ip := lanIP()
	if conn.Embedded != nil && share != nil {
		_, port, _ := net.SplitHostPort(conn.Embedded.Addr)
		return fmt.Sprintf("imgq worker --redis redis://:%s@%s/0 --queue %s --id YOUR_NAME   ·   redis-cli -h %s -p %s -a %s",
			share.password, net.JoinHostPort(ip, port), g.queueName, ip, port, share.password)
	}
	o, err := redisconn.ParseURL(childURL(g, conn))
	if err != nil {
		return ""
	}
	host, port, _ := net.SplitHostPort(o.Addr)
	if h := net.ParseIP(host); h != nil && h.IsLoopback() {
		host = ip
	}
	auth, cliAuth := "", ""
	if o.Password != "" {
		auth, cliAuth = ":PASSWORD@", " -a PASSWORD"
	}
	return fmt.Sprintf("imgq worker --redis redis://%s%s/%d --queue %s --id YOUR_NAME   ·   redis-cli -h %s -p %s%s",
		auth, net.JoinHostPort(host, port), o.DB, g.queueName, host, port, cliAuth)
}

// shareWarning says when --share opens the room to a real Redis that needs no
// password: anyone on the network who reaches it can read, change or flush it.
// (A Redis that needs one and was not given one refuses the connection first.)
func shareWarning(g *globals, conn *redisconn.Conn, shareFlag bool) string {
	if !shareFlag || conn.Embedded != nil {
		return ""
	}
	o, err := redisconn.ParseURL(childURL(g, conn))
	if err != nil || o.Password != "" {
		return ""
	}
	return fmt.Sprintf("--share with a Redis that has no password (%s): anyone on the network who reaches it can read, change or flush every queue on it; set requirepass in its redis.conf and pass the password in --redis", o.Addr)
}

// shareNote is shareWarning's short form, after the dashboard's join line (the
// dashboard's screen hides what was printed before it).
func shareNote(g *globals, conn *redisconn.Conn, shareFlag bool) string {
	if shareWarning(g, conn, shareFlag) == "" {
		return ""
	}
	return "   ·   warning: this Redis has no password"
}

// lanIP is this machine's first non-loopback IPv4 address, the one students on
// the same network can reach; 127.0.0.1 when there is none.
func lanIP() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "127.0.0.1"
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if v4 := n.IP.To4(); v4 != nil && !v4.IsLinkLocalUnicast() {
					return v4.String()
				}
			}
		}
	}
	return "127.0.0.1"
}
