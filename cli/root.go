// Package cli wires imgq's commands (cobra): the dashboard by default, and
// enqueue, worker, stats, events, flush, requeue, demo and bench.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgq/imgq/queue"
)

// globals are the flags every command shares.
type globals struct {
	redisURL      string
	queueName     string
	cluster       bool
	shards        int // sub-queues of one logical queue (queue.Options.Shards)
	lease         time.Duration
	workerTimeout time.Duration
	stuckAfter    time.Duration
	recoverStuck  bool
	durable       bool          // WAIT for a replica after enqueues and acks
	durableWait   time.Duration // how long
	// skipLayout: connect does not refuse a queue whose keys clash (flush is the fix).
	skipLayout bool
	out        io.Writer
	errOut     io.Writer
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{out: stdout, errOut: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "imgq:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a misuse of the command line: exit code 2 (1 is a failure).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// noArgs and exactArgs are cobra's checks, as usage errors.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func newRoot(g *globals) *cobra.Command {
	d := &dashFlags{}
	root := &cobra.Command{
		Use:   "imgq",
		Short: "A Redis-backed image-processing task queue with a live dashboard",
		Long: `imgq is a reliable, distributed image-processing task queue on Redis, with a
live terminal dashboard. Run it with no command to open the dashboard (with 3
embedded workers, and an embedded Redis when none answers at the default address).`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDash(cmd.Context(), g, d)
		},
	}
	root.SetVersionTemplate("imgq {{.Version}}\n")
	// An unknown or malformed flag is a usage error (exit 2), like a bad value.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.redisURL, "redis", os.Getenv("REDIS_URL"),
		`Redis URL redis://[user:password@]host:port/db, rediss:// for TLS, or redis+sentinel://[user:password@]host1:port1,host2:port2/mastername[/db] for the master a set of Sentinels elect (the password is the master's; ?sentinel_password= for the Sentinels') ($REDIS_URL); "embedded" starts an in-process Redis, memory only (default redis://127.0.0.1:6379/0; the dashboard and demo fall back to embedded when nothing answers there, other commands do not)`)
	pf.StringVar(&g.queueName, "queue", queue.DefaultName, "queue name (key prefix); may carry a Redis Cluster hash tag like {img}")
	pf.BoolVar(&g.cluster, "cluster", false, "connect with the Redis Cluster client (--redis names one node)")
	pf.IntVar(&g.shards, "shards", 0, "spread the queue over N sub-queues, each in its own Cluster slot, so a Redis Cluster spreads it over its masters; recorded in Redis by the first user, adopted by processes that do not give it (0: as recorded, else one queue)")
	pf.DurationVar(&g.lease, "lease", 30*time.Second, "how long a claim lasts without a heartbeat before its task is recovered")
	pf.DurationVar(&g.workerTimeout, "worker-timeout", 10*time.Second, "a worker silent this long is reported gone and its tasks recovered")
	pf.DurationVar(&g.stuckAfter, "stuck-after", time.Minute, "a task a worker imgq cannot see (a course worker) holds this long is shown as stuck")
	pf.BoolVar(&g.recoverStuck, "recover-stuck", false, "let housekeeping requeue stuck tasks of workers imgq cannot see (the course's HDEL + RPUSH); off, requeue them with: imgq requeue --stuck")
	pf.BoolVar(&g.durable, "durable", false, "wait until a replica has each enqueue and acknowledgement (WAIT 1), so a failover loses none; needs a replica, not for --cluster")
	pf.DurationVar(&g.durableWait, "durable-timeout", time.Second, "with --durable: how long to wait for the replica before reporting the write unconfirmed (keep under the client's read timeout, 3s by default)")
	d.register(root)

	root.AddCommand(
		newEnqueueCmd(g), newWorkerCmd(g), newStatsCmd(g), newEventsCmd(g), newFlushCmd(g),
		newRequeueCmd(g), newTaskCmd(g), newFiltersCmd(g), newDemoCmd(g), newBenchCmd(g),
	)
	return root
}

func (g *globals) queueOptions() queue.Options {
	return queue.Options{Name: g.queueName, Lease: g.lease, WorkerTimeout: g.workerTimeout,
		StuckAfter: g.stuckAfter, RecoverStuck: g.recoverStuck,
		Durable: g.durable, DurableTimeout: g.durableWait, Shards: g.shards}
}
