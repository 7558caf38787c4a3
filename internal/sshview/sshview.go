// Package sshview serves the dashboard read-only over SSH (imgq --share): a
// student types `ssh -p 2222 <teacher-ip>`, gives the run's password, and
// watches the same live dashboard on their own terminal, at their own size,
// scrolling on their own, in their own language, while the keys that change
// the queue stay with the teacher.
//
// Every session's model is a tui model in ReadOnly mode subscribed to the
// run's one tui.Feed, so thirty viewers cost Redis what one dashboard costs.
// The server is charm.land/wish/v2 with its Bubble Tea middleware; the host
// key is generated on first use and kept (DefaultHostKeyPath), so students'
// known_hosts stay valid from one lesson to the next.
package sshview

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	charmlog "charm.land/log/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"

	"github.com/imgq/imgq/tui"
)

// DefaultAddr is where --share listens for SSH viewers.
const DefaultAddr = ":2222"

// MaxSessions bounds the viewers at once: a class, with room to spare. One
// more is told the room is full instead of slowing everyone's dashboard.
const MaxSessions = 200

// Options configure the server.
type Options struct {
	Addr        string // listen address; DefaultAddr when ""
	HostKeyPath string // DefaultHostKeyPath() when ""
	Password    string // the run's password: the only one accepted (required)
	// Dashboard is the viewers' template: Queue, Feed (required: the run's
	// one poller), RedisAddr, Interval, Lang (the default language), JoinLine.
	// Each session gets a copy with ReadOnly set and nothing that acts.
	Dashboard tui.Options
}

// Server is a running SSH viewer server. Close ends it and every session.
type Server struct {
	srv      *ssh.Server
	ln       net.Listener
	opts     Options
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // Serve and every session handler
	mu       sync.Mutex
	sessions int
	closed   bool
}

type ctxKey struct{}

// DefaultHostKeyPath is where the host key is kept:
// <user config dir>/imgq/ssh_host_ed25519 (~/.config/imgq on Linux).
func DefaultHostKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("ssh host key: no config folder: %w", err)
	}
	return filepath.Join(dir, "imgq", "ssh_host_ed25519"), nil
}

// Start listens on opts.Addr and serves viewers until ctx ends or Close.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Password == "" {
		return nil, errors.New("ssh viewers: no password (a viewer server is never open to anyone)")
	}
	if opts.Dashboard.Feed == nil {
		return nil, errors.New("ssh viewers: no feed (every viewer reads the run's one poller)")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.HostKeyPath == "" {
		p, err := DefaultHostKeyPath()
		if err != nil {
			return nil, err
		}
		opts.HostKeyPath = p
	}
	if err := os.MkdirAll(filepath.Dir(opts.HostKeyPath), 0o700); err != nil {
		return nil, fmt.Errorf("ssh host key folder: %w", err)
	}
	// The middleware logs to stderr, which is the teacher's full-screen
	// dashboard: a viewer's broken connection must not scribble on it.
	charmlog.SetOutput(io.Discard)

	s := &Server{opts: opts}
	s.ctx, s.cancel = context.WithCancel(ctx)
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(opts.HostKeyPath),
		wish.WithPasswordAuth(s.checkPassword),
		// The last middleware runs first: count and bound the session, then
		// run its dashboard.
		wish.WithMiddleware(bm.Middleware(s.dashboard), s.track),
	)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("ssh viewers: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("ssh viewers: listen on %s: %w", opts.Addr, err)
	}
	s.srv, s.ln = srv, ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln) // returns when Close closes the listener
	}()
	// The run's context ending ends the server too.
	stop := context.AfterFunc(s.ctx, func() { _ = srv.Close() })
	s.wg.Go(func() {
		<-s.ctx.Done()
		stop()
	})
	return s, nil
}

// Addr is the address the server listens on (with the real port for ":0").
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Sessions is how many viewers are connected now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Close ends every session and the server and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true // no session starts after this (see track)
	s.mu.Unlock()
	s.cancel()
	err := s.srv.Close()
	// Close cut the connections; Shutdown then waits for their goroutines.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	s.wg.Wait()
	if errors.Is(err, ssh.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// checkPassword accepts the run's password only (in constant time: the
// password is the whole of the protection).
func (s *Server) checkPassword(_ ssh.Context, pw string) bool {
	return subtle.ConstantTimeCompare([]byte(pw), []byte(s.opts.Password)) == 1
}

// track counts a session, refuses one past MaxSessions, and gives it a
// context that ends with the session or the server, whichever is first.
func (s *Server) track(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.mu.Lock()
		full := s.closed || s.sessions >= MaxSessions
		if !full {
			s.sessions++
			s.wg.Add(1)
		}
		s.mu.Unlock()
		if full {
			wish.Fatalln(sess, "imgq: the room is full (too many viewers); try again later")
			return
		}
		defer func() {
			s.mu.Lock()
			s.sessions--
			s.mu.Unlock()
			s.wg.Done()
		}()
		ctx, cancel := context.WithCancel(s.ctx)
		defer cancel()
		stop := context.AfterFunc(sess.Context(), cancel)
		defer stop()
		sess.Context().SetValue(ctxKey{}, ctx)
		next(sess)
	}
}

// dashboard builds a session's read-only model. Its language is the user name
// or the command when either is a language (`ssh -p 2222 es@host`, or
// `ssh -t -p 2222 host es`), else the teacher's.
func (s *Server) dashboard(sess ssh.Session) (tea.Model, []tea.ProgramOption) {
	ctx, ok := sess.Context().Value(ctxKey{}).(context.Context)
	if !ok {
		return nil, nil
	}
	o := s.opts.Dashboard
	o.ReadOnly = true
	o.Enqueue, o.Monitor = nil, nil
	if o.Workers != nil {
		o.Workers = readOnlyPool{o.Workers}
	}
	if l := sessionLang(sess.User(), sess.Command()); l != "" {
		o.Lang = l
	}
	return tui.New(ctx, o), []tea.ProgramOption{tea.WithContext(ctx)}
}

// sessionLang is the language a viewer asked for, "" for the default.
func sessionLang(user string, cmd []string) string {
	for _, w := range append(cmd, user) {
		switch l := strings.ToLower(strings.TrimSpace(w)); l {
		case "es", "en":
			return l
		}
	}
	return ""
}

// readOnlyPool shows the embedded workers' count and pause in a viewer's
// header and refuses to change them, whatever asks.
type readOnlyPool struct{ p tui.WorkerPool }

func (r readOnlyPool) Size() int      { return r.p.Size() }
func (r readOnlyPool) Paused() bool   { return r.p.Paused() }
func (r readOnlyPool) SetPaused(bool) {}
func (r readOnlyPool) Scale(int) error {
	return errors.New("read-only viewer")
}
