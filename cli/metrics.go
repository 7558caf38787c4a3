package cli

import (
	"context"
	"fmt"

	"github.com/imgq/imgq/internal/metrics"
	"github.com/imgq/imgq/queue"
)

// metricsFlagHelp is the help of --metrics on worker and the dashboard.
const metricsFlagHelp = "serve Prometheus metrics at http://ADDR/metrics (\":9100\": every interface, \"127.0.0.1:9100\": this machine only; see docs/METRICS.md)"

// startMetrics serves q's metrics on addr until stop is called; with addr
// empty it does nothing and returns a nil *Metrics (whose Observe must then not
// be called) and a no-op stop. stop shuts the server down, waits for it and
// returns why it failed, if it did.
func startMetrics(ctx context.Context, g *globals, q *queue.Queue, addr string) (*metrics.Metrics, func() error, error) {
	if addr == "" {
		return nil, func() error { return nil }, nil
	}
	m := metrics.New(q, metrics.Options{})
	ctx, cancel := context.WithCancel(ctx)
	srv, err := m.Serve(ctx, addr)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	fmt.Fprintf(g.errOut, "metrics on http://%s/metrics\n", srv.Addr())
	return m, func() error { cancel(); return srv.Wait() }, nil
}
