package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/imgq/imgq/internal/sshview"
	"github.com/imgq/imgq/tui"
)

// startViewers serves the dashboard read-only over SSH with --share (unless
// --ssh-addr is ""): it gives the run one Feed, shared by the teacher's model
// and every student's, and puts the ssh line first in the join line. The
// password is the run's (the embedded Redis's generated one), or one generated
// for the viewers when the Redis is the teacher's own: its password is never
// shown. The returned stop ends every session and the poller.
func startViewers(ctx context.Context, d *dashFlags, share *shareOpts, opts *tui.Options) (func(), error) {
	if !d.share || d.sshAddr == "" {
		return func() {}, nil
	}
	pw := newPassword()
	if share != nil {
		pw = share.password
	}
	feed := tui.NewFeed(opts.Queue, opts.Interval)
	feed.Start(ctx)
	opts.Feed = feed
	srv, err := sshview.Start(ctx, sshview.Options{Addr: d.sshAddr, Password: pw, Dashboard: *opts})
	if err != nil {
		feed.Stop()
		return nil, fmt.Errorf("--share: %w (choose another port with --ssh-addr, or --ssh-addr \"\" for no SSH viewers)", err)
	}
	host, port, _ := net.SplitHostPort(srv.Addr().String())
	opts.JoinLine = sshLine(joinHost(host), port, pw) + "   ·   " + opts.JoinLine
	return func() {
		_ = srv.Close()
		feed.Stop()
	}, nil
}

// joinHost is the address students type: the one the SSH server is bound to
// when it is a specific one (--ssh-addr 127.0.0.1:2222 is reachable there and
// nowhere else), else this machine's address on the classroom's network.
func joinHost(bound string) string {
	if ip := net.ParseIP(bound); ip != nil && !ip.IsUnspecified() {
		return bound
	}
	return lanIP()
}

// sshLine is what a student types to watch the dashboard on their laptop.
func sshLine(ip, port, password string) string {
	return fmt.Sprintf("watch: ssh -p %s %s (password %s)", port, ip, password)
}
