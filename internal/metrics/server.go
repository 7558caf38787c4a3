package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is the HTTP server of /metrics, running until the context given to
// Serve ends.
type Server struct {
	addr net.Addr
	done chan struct{}
	err  error
}

// Serve listens on addr (host:port, as given: ":9100" is every interface,
// "127.0.0.1:0" a free loopback port) and serves m on /metrics until ctx
// ends, then shuts the server down (scrapes in progress get a few seconds).
// The listen error, if any, is returned at once; Wait waits for the end.
func (m *Metrics) Serve(ctx context.Context, addr string) (*Server, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "imgq metrics: see /metrics")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s := &Server{addr: ln.Addr(), done: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go func() {
		defer close(s.done)
		select {
		case err := <-served: // failed on its own
			s.err = fmt.Errorf("metrics: serve on %s: %w", s.addr, err)
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			_ = hs.Close()
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = fmt.Errorf("metrics: serve on %s: %w", s.addr, err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on (the port chosen for ":0").
func (s *Server) Addr() net.Addr { return s.addr }

// Wait blocks until the server has shut down (after Serve's ctx ended, or
// after it failed) and returns why it stopped, nil after a clean shutdown.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}
