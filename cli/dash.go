package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/imgq/imgq/internal/metrics"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// runDash opens the dashboard: Redis (embedded when none answers), the
// embedded workers, housekeeping, metrics and the classroom viewers, torn down
// in reverse when it quits.
func runDash(ctx context.Context, g *globals, d *dashFlags) error {
	sw, sh, err := d.check()
	if err != nil {
		return err
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
	ran := false
	undoPace, err := setPace(ctx, q, d.pace)
	if err != nil {
		return err
	}
	defer func() {
		if !ran { // failed before the dashboard (which turns the pace off) ran
			undoPace()
		}
	}()
	pool, err := startPool(ctx, q, d, m)
	if err != nil {
		return err
	}
	// The dashboard does the housekeeping every worker does (declare silent
	// workers gone, recover lapsed leases, forward retries) even when it watches
	// only or its workers are scaled to 0, so a room whose workers all died
	// still sees its tasks come back. Errors show as the tasks not coming back.
	hk := queue.NewHousekeeper(q, queue.HousekeepPeriod(workers.DefaultHeartbeat), nil)
	hk.Start(ctx)
	defer hk.Stop()
	opts := dashOptions(g, d, conn, q, share, sw, sh)
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

// setPace writes the teaching pace to Redis before the embedded workers
// start, so their first heartbeat (before their first claim) reads it. The
// dashboard turns it off when it quits (tui.Options.Pace); undo turns it off
// when the dashboard never ran.
func setPace(ctx context.Context, q *queue.Queue, pace time.Duration) (undo func(), err error) {
	if pace <= 0 {
		return func() {}, nil
	}
	if err := q.SetPace(ctx, pace); err != nil {
		return nil, err
	}
	return func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = q.SetPace(bg, 0)
	}, nil
}

// startPool starts the embedded workers (none with --workers 0), observed by
// the metrics when they are served.
func startPool(ctx context.Context, q *queue.Queue, d *dashFlags, m *metrics.Metrics) (*workers.Pool, error) {
	if d.workers == 0 {
		return nil, nil
	}
	h, err := newImageHandler(q, d.output, ".")
	if err != nil {
		return nil, err
	}
	cfg := workers.Config{Handler: h.Handle, OnFailRate: h.SetFailRate,
		Grace: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	if m != nil {
		m.Observe(&cfg)
	}
	pool := workers.NewPool(ctx, q, cfg)
	if err := pool.Scale(d.workers); err != nil {
		return nil, err
	}
	return pool, nil
}

// dashOptions are the dashboard's options but its workers and viewers.
func dashOptions(g *globals, d *dashFlags, conn *redisconn.Conn, q *queue.Queue, share *shareOpts, sw, sh int) tui.Options {
	return tui.Options{
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
