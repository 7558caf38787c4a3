package cli

// `imgq bench ...`: reproducible measurements of the queue and the dashboard's
// data path. Each command starts its own redis-server on a free loopback port
// (never the machine's 6379) unless --redis names one, prints a progress bar on
// stderr, a summary table on stdout, and JSON with --json. See docs/BENCHMARKS.md.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/internal/redisserver"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the queue and the dashboard (each starts its own redis-server unless --redis is given)",
		Long: `Benchmarks that anyone can rerun; see docs/BENCHMARKS.md. Each starts a private
redis-server on a free loopback port and stops it afterwards. Only an explicit
--redis URL points a benchmark at another server ($REDIS_URL is ignored here, so a
shared server is never loaded by accident); even then it only touches its own
queue names (<queue>-bench...).`,
		Args: noArgs,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flag("redis"); f == nil || !f.Changed {
				g.redisURL = ""
			}
		},
	}
	cmd.AddCommand(newBenchQueueCmd(g), newBenchDashCmd(g), newBenchMemoryCmd(g))
	cmd.AddCommand(newBenchImagesCmd(g), newBenchCourseCmd(g), newBenchClusterCmd(g))
	return cmd
}

// benchRedis returns a client on --redis, or on a private server it starts.
// The returned stop closes both.
func (g *globals) benchRedis(ctx context.Context, poolSize int) (*redis.Client, string, func(), error) {
	url := g.redisURL
	var srv *redisserver.Server
	if url == "" || url == "embedded" {
		var err error
		srv, err = redisserver.Start(ctx, redisserver.Options{})
		if err != nil {
			return nil, "", nil, err
		}
		url = srv.URL()
		fmt.Fprintf(g.errOut, "bench: started redis-server at %s\n", srv.Addr())
	}
	opt, err := redisconn.ParseURL(url) // its errors never carry the password
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, "", nil, usageError{err}
	}
	opt.PoolSize = max(poolSize, opt.PoolSize)
	c := redis.NewClient(opt)
	stop := func() {
		c.Close()
		if srv != nil {
			srv.Close()
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		stop()
		return nil, "", nil, fmt.Errorf("ping %s: %w", opt.Addr, err)
	}
	return c, url, stop, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// tableReport is a benchmark's report: it prints itself as a table.
type tableReport interface{ WriteTable(io.Writer) }

// printReport prints a benchmark's report as JSON (--json) or as its table.
func (g *globals) printReport(rep tableReport, asJSON bool) error {
	if asJSON {
		return printJSON(g.out, rep)
	}
	rep.WriteTable(g.out)
	return nil
}
