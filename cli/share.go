package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"

	"github.com/imgq/imgq/internal/redisconn"
)

// shareOpts are how the embedded Redis listens in classroom mode.
type shareOpts struct {
	bindAll  bool
	password string
}

func newPassword() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
