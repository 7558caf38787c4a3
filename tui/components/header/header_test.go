package header

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// firstLine renders the header at w columns and returns its first line,
// without colours.
func firstLine(t *testing.T, w int, i Info) string {
	t.Helper()
	c := common.New(context.Background(), "en")
	c.Now = func() time.Time { return t0 }
	m := New(c, metrics.New())
	m.SetSize(w, m.Height())
	m.SetInfo(i)
	line := ansi.Strip(strings.Split(m.View(), "\n")[0])
	if got := ansi.StringWidth(line); got != w {
		t.Fatalf("at %d columns the first line is %d wide: %q", w, got, line)
	}
	return line
}

// Each topology is named whole on the first line, or not at all when the
// line is too narrow: a value is never cut (a master's port losing a digit
// would name another server).
func TestTopologyOnTheFirstLine(t *testing.T) {
	base := Info{Queue: "images", Addr: "redis://127.0.0.1:6379/0", Version: "7.0.15",
		Conn: Connected, Started: t0.Add(-3 * time.Minute), PoolSize: -1}
	cases := []struct {
		name string
		tp   Topology
		// want is the text the line shows for the connection; part is a piece
		// of it that must not show alone.
		want, part string
	}{
		{"standalone", Topology{Kind: redisconn.Standalone}, "redis://127.0.0.1:6379/0 v7.0.15", "redis://"},
		{"zero", Topology{}, "redis://127.0.0.1:6379/0 v7.0.15", "redis://"},
		{"embedded", Topology{Kind: redisconn.EmbeddedKind}, "redis://127.0.0.1:6379/0 (embedded) v7.0.15", "(embedded)"},
		{"sentinel", Topology{Kind: redisconn.Sentinel, Name: "mymaster", Master: "127.0.0.1:6380"},
			"sentinel mymaster → 127.0.0.1:6380 v7.0.15", "sentinel"},
		{"sentinel before the first answer", Topology{Kind: redisconn.Sentinel, Name: "mymaster"},
			"sentinel mymaster v7.0.15", "sentinel"},
		{"sentinel long name", Topology{Kind: redisconn.Sentinel, Name: "images-production-eu-west", Master: "10.20.30.40:26380"},
			"sentinel images-production-eu-west → 10.20.30.40:26380 v7.0.15", "sentinel"},
		{"cluster", Topology{Kind: redisconn.Cluster, Masters: 3}, "cluster 3 masters v7.0.15", "cluster"},
		{"cluster before the count", Topology{Kind: redisconn.Cluster}, "cluster v7.0.15", "cluster"},
	}
	for _, tc := range cases {
		for _, w := range []int{80, 120} {
			i := base
			i.Topology = tc.tp
			line := firstLine(t, w, i)
			switch {
			case strings.Contains(line, tc.want+" ·") || strings.HasSuffix(strings.TrimRight(line, " "), tc.want):
			case w >= 120:
				t.Errorf("%s at %d: want %q whole on %q", tc.name, w, tc.want, line)
			case strings.Contains(line, tc.part):
				t.Errorf("%s at %d: %q is cut: %q", tc.name, w, tc.want, line)
			}
			if !strings.Contains(line, "imgq images · ● connected") {
				t.Errorf("%s at %d: the queue and connection state went: %q", tc.name, w, line)
			}
			t.Logf("%-34s %3d |%s|", tc.name, w, line)
		}
	}
}

// A narrow line gives up the uptime before the master: where the queue's
// writes go matters more than how long the dashboard has run.
func TestTopologyOutlastsUptime(t *testing.T) {
	i := Info{Queue: "images", Conn: Connected, Started: t0.Add(-3 * time.Minute), PoolSize: -1, Version: "7.0.15",
		Topology: Topology{Kind: redisconn.Sentinel, Name: "mymaster", Master: "127.0.0.1:6380"}}
	line := firstLine(t, 80, i)
	if !strings.Contains(line, "sentinel mymaster → 127.0.0.1:6380") || strings.Contains(line, "uptime") {
		t.Fatalf("at 80 columns: want the master and no uptime: %q", line)
	}
	// A longer name: the version gives way before the master does.
	i.Topology.Name = "images-production-eu"
	line = firstLine(t, 80, i)
	if !strings.Contains(line, "sentinel images-production-eu → 127.0.0.1:6380 ") || strings.Contains(line, "v7.0.15") {
		t.Fatalf("at 80 columns: want the master and no version: %q", line)
	}
}

// The names come from Sentinel and from the URL: control sequences in them
// never reach the terminal.
func TestTopologyIsCleaned(t *testing.T) {
	i := Info{Queue: "q", Conn: Connected, Started: t0, PoolSize: -1,
		Topology: Topology{Kind: redisconn.Sentinel, Name: "evil\x1b[2J", Master: "127.0.0.1:1\x1b]0;x\x07"}}
	c := common.New(context.Background(), "en")
	c.Now = func() time.Time { return t0 }
	m := New(c, metrics.New())
	m.SetSize(120, 3)
	m.SetInfo(i)
	if v := m.View(); strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]0;") {
		t.Fatalf("raw control sequence in the header: %q", v)
	}
}
