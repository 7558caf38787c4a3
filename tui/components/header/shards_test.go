package header

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/metrics"
)

// shardedLine renders the first line at w columns for a queue whose shards
// (slots and pending depths) are given, on the cluster masters given.
func shardedLine(t *testing.T, w int, masters []Master, shards ...queue.ShardStat) (plain, styled string) {
	t.Helper()
	c := common.New(context.Background(), "en")
	c.Now = func() time.Time { return t0 }
	tr := metrics.New()
	tr.Last.Shards = shards
	m := New(c, tr)
	m.SetSize(w, m.Height())
	m.SetInfo(Info{Queue: "images", Conn: Connected, Started: t0.Add(-time.Minute), PoolSize: -1,
		Topology: Topology{Kind: redisconn.Cluster, Masters: len(masters), Slots: masters}})
	styled = strings.Split(m.View(), "\n")[0]
	plain = ansi.Strip(styled)
	if got := ansi.StringWidth(plain); got != w {
		t.Fatalf("at %d columns the first line is %d wide: %q", w, got, plain)
	}
	return plain, styled
}

var masters3 = []Master{
	{Addr: "127.0.0.1:7001", Ranges: [][2]int{{0, 5460}}},
	{Addr: "127.0.0.1:7002", Ranges: [][2]int{{5461, 10922}}},
	{Addr: "127.0.0.1:7003", Ranges: [][2]int{{10923, 16383}}},
}

func TestShardsOnTheirMasters(t *testing.T) {
	cases := []struct {
		name    string
		masters []Master
		shards  []queue.ShardStat
		want    string
	}{
		{"one shard per master", masters3,
			[]queue.ShardStat{{Slot: 3540, Pending: 7}, {Slot: 7669, Pending: 8}, {Slot: 12530, Pending: 9}},
			"cluster 3 masters · 3 shards · pending :7001 7 · :7002 8 · :7003 9"},
		// A master that holds none of the queue's shards says so rather
		// than showing a depth of 0 it does not have.
		{"a master without a shard", masters3,
			[]queue.ShardStat{{Slot: 4000, Pending: 5}, {Slot: 12000, Pending: 6}},
			"cluster 3 masters · 2 shards · pending :7001 5 · :7002 - · :7003 6"},
		// Two shards on one master: their depths add up.
		{"two shards on a master", masters3[:2],
			[]queue.ShardStat{{Slot: 10, Pending: 5}, {Slot: 20, Pending: 6}, {Slot: 6000, Pending: 1}},
			"cluster 2 masters · 3 shards · pending :7001 11 · :7002 1"},
		// A master serving two ranges (after a reshard).
		{"a master with two ranges", []Master{
			{Addr: "127.0.0.1:7001", Ranges: [][2]int{{0, 99}, {200, 16383}}},
			{Addr: "127.0.0.1:7002", Ranges: [][2]int{{100, 199}}}},
			[]queue.ShardStat{{Slot: 150, Pending: 3}, {Slot: 9000, Pending: 4}},
			"cluster 2 masters · 2 shards · pending :7001 4 · :7002 3"},
		// Masters on several hosts are named whole.
		{"several hosts", []Master{
			{Addr: "10.0.0.1:6379", Ranges: [][2]int{{0, 8191}}},
			{Addr: "10.0.0.2:6379", Ranges: [][2]int{{8192, 16383}}}},
			[]queue.ShardStat{{Slot: 3000, Pending: 3}, {Slot: 9000, Pending: 4}},
			"cluster 2 masters · 2 shards · pending 10.0.0.1:6379 3 · 10.0.0.2:6379 4"},
		// A slot no master serves (the map is older than a reshard): the
		// shards are shown without their masters.
		{"a slot the map lacks", masters3[:2],
			[]queue.ShardStat{{Slot: 3540, Pending: 7}, {Slot: 12530, Pending: 9}},
			"cluster 2 masters · 2 shards · pending 7 / 9"},
		{"before the first probe", nil,
			[]queue.ShardStat{{Slot: 3540, Pending: 7}, {Slot: 12530, Pending: 9}},
			"cluster · 2 shards · pending 7 / 9"},
	}
	for _, tc := range cases {
		line, _ := shardedLine(t, 160, tc.masters, tc.shards...)
		if !strings.Contains(line, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, strings.TrimSpace(line), tc.want)
		}
	}
}

// Addresses come from Redis (a node's announced hostname): an escape in one
// never reaches the terminal.
func TestShardMastersAreCleaned(t *testing.T) {
	ms := []Master{
		{Addr: "evil\x1b[2J\x1b]0;pwned\x07:7001", Ranges: [][2]int{{0, 8191}}},
		{Addr: "10.0.0.2:6379", Ranges: [][2]int{{8192, 16383}}},
	}
	plain, styled := shardedLine(t, 160, ms, queue.ShardStat{Slot: 10, Pending: 1}, queue.ShardStat{Slot: 9000, Pending: 2})
	if strings.Contains(styled, "\x1b[2J") || strings.Contains(styled, "\x07") || strings.Contains(styled, "\x1b]0") {
		t.Fatalf("an escape from Redis reached the header: %q", styled)
	}
	if !strings.Contains(plain, "pending evil:7001 1 · 10.0.0.2:6379 2") {
		t.Fatalf("first line %q", plain)
	}
}

// fit gives up detail a step at a time, the highest drop order first, and
// drops a field only after its narrowest form.
func TestFitTakesNarrowerFormsFirst(t *testing.T) {
	alt := func(text string) field { return field{text: text} }
	fs := func() []field {
		return []field{
			{text: "queue"},
			{text: "where · detail detail", drop: 3, alts: []field{alt("where · detail"), alt("where")}},
			{text: "uptime", drop: 4},
		}
	}
	for _, tc := range []struct {
		w    int
		want string
	}{
		{40, " queue · where · detail detail · uptime"},
		{38, " queue · where · detail detail"},
		{30, " queue · where · detail detail"},
		{29, " queue · where · detail"},
		{23, " queue · where · detail"},
		{22, " queue · where"},
		{21, " queue · where"},
		{14, " queue · where"},
		{13, " queue"},
	} {
		if got := strings.TrimRight(fit(fs(), " · ", tc.w), " "); got != tc.want {
			t.Errorf("at %d: %q, want %q", tc.w, got, tc.want)
		}
	}
}
