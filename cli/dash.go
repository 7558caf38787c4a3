package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type dashFlags struct {
	workers  int
	interval time.Duration
	lang     string
	output   string
	share    bool
	size     string
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
	f.BoolVar(&d.share, "share", false, "classroom mode: the embedded Redis listens on the network with a generated password; shows the line students type")
}

func runDash(ctx context.Context, g *globals, d *dashFlags) error {
	if d.lang != "en" && d.lang != "es" {
		return usageError{fmt.Errorf("--lang %q: choose en or es", d.lang)}
	}
	if d.workers < 0 || d.workers > 256 {
		return usageError{fmt.Errorf("--workers %d: choose 0 to 256", d.workers)}
	}
	if d.interval < 50*time.Millisecond {
		return usageError{fmt.Errorf("--interval %s: at least 50ms", d.interval)}
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pool *workers.Pool
	if d.workers > 0 {
		h, err := newImageHandler(q, d.output, "images")
		if err != nil {
			return err
		}
		pool = workers.NewPool(ctx, q, workers.Config{Handler: h.Handle, OnFailRate: h.SetFailRate,
			Grace: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)})
		if err := pool.Scale(d.workers); err != nil {
			return err
		}
	}
	spec := pipeline.MustParse(workers.CourseFilters)
	seed := time.Now().UnixNano()
	opts := tui.Options{
		Queue: q,
		Enqueue: func(ctx context.Context, n int) (int, error) {
			tasks := make([]queue.NewTask, n)
			for i := range tasks {
				seed++
				t, err := workers.SampleTask(spec, sw, sh, seed, fmt.Sprintf("image_%04d.jpg", seed%10000))
				if err != nil {
					return 0, err
				}
				tasks[i] = t
			}
			ids, err := q.EnqueueBatch(ctx, tasks)
			return len(ids), err
		},
		Monitor:   monitorFunc(conn),
		RedisAddr: conn.Addr,
		Embedded:  conn.Embedded != nil,
		Interval:  d.interval,
		Lang:      d.lang,
		JoinLine:  joinLine(g, conn, share),
	}
	if pool != nil {
		opts.Workers = pool
	}
	err = tui.Run(ctx, opts)
	// Quit: embedded workers stop claiming, finish or hand back their tasks.
	cancel()
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
		c, ok := conn.Client.(*redis.Client)
		if !ok {
			return nil, errors.New("MONITOR is shown for a single Redis server, not a cluster")
		}
		return redisconn.Monitor(ctx, c.Options(), nil)
	}
}

func joinLine(g *globals, conn *redisconn.Conn, share *shareOpts) string {
	return ""
}
