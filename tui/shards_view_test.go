package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/components/header"
)

// threeMasters is the slot map of a default 3-master cluster (redis-cli
// --cluster create) on one machine.
var threeMasters = []header.Master{
	{Addr: "127.0.0.1:7001", Ranges: [][2]int{{0, 5460}}},
	{Addr: "127.0.0.1:7002", Ranges: [][2]int{{5461, 10922}}},
	{Addr: "127.0.0.1:7003", Ranges: [][2]int{{10923, 16383}}},
}

// shardedStats is sampleStats with a minute of a busy queue spread over n
// shards of image_processing (named and slotted as queue.ShardNames makes
// them), each shard draining at its own pace; the totals are the shards'
// sums, as a sharded queue's Stats reports them.
func shardedStats(t *testing.T, n int) func(at time.Time, i int) queue.Stats {
	t.Helper()
	names, err := queue.ShardNames("image_processing", n)
	if err != nil {
		t.Fatal(err)
	}
	return func(at time.Time, i int) queue.Stats {
		s := sampleStats(at, i, 3)
		var sum int64
		for k, name := range names {
			// The last snapshot's depths; the shards were fuller before.
			pending := []int64{412, 398, 405, 391, 420, 387, 402, 409}[k%8] + int64(12-i)*int64(9+k%3)
			if k == 0 {
				pending += s.PendingHigh + s.PendingLow // keeps every total the sum of its shards
			}
			sum += pending
			s.Shards = append(s.Shards, queue.ShardStat{
				Name: name, Slot: queue.KeySlot(name), Pending: pending,
				Processing: int64(k % 2), Completed: s.Completed / int64(n),
			})
		}
		s.Pending = sum - s.PendingHigh - s.PendingLow
		return s
	}
}

// shardView is a state of the header's topology: what the dashboard is
// connected to, and how many shards the queue has (0: not sharded).
type shardView struct {
	name   string
	tp     header.Topology // as the probe found it
	kind   string
	shards int
	// shows is on the first line at 120 columns; at every width the first
	// line shows one of forms whole, or none of them.
	shows string
	forms []string
}

var shardViews = []shardView{
	{name: "standalone-sharded", kind: redisconn.Standalone, shards: 3,
		shows: "127.0.0.1:6379 v7.0.15 · 3 shards · pending 412 / 398 / 405",
		forms: []string{"3 shards · pending 412 / 398 / 405", "3 shards 412/398/405", "3 shards 398–412", "3 shards"}},
	{name: "sentinel-sharded", kind: redisconn.Sentinel, shards: 3, tp: header.Topology{Name: "mymaster", Master: "127.0.0.1:6380"},
		shows: "sentinel mymaster → 127.0.0.1:6380 v7.0.15 · 3 shards · pending 412 / 398 / 405",
		forms: []string{"3 shards · pending 412 / 398 / 405", "3 shards 412/398/405", "3 shards 398–412", "3 shards"}},
	{name: "cluster-sharded", kind: redisconn.Cluster, shards: 3, tp: header.Topology{Masters: 3, Slots: threeMasters},
		shows: "cluster 3 masters v7.0.15 · 3 shards · pending :7001 412 · :7002 398 · :7003 405",
		forms: []string{"3 shards · pending :7001 412 · :7002 398 · :7003 405", "3 shards · pending 412 / 398 / 405",
			"3 shards 412/398/405", "3 shards 398–412", "3 shards"}},
	{name: "cluster-8-shards", kind: redisconn.Cluster, shards: 8, tp: header.Topology{Masters: 3, Slots: threeMasters},
		shows: "cluster 3 masters · 8 shards · pending :7001 810 · :7002 1216 · :7003 1198",
		forms: []string{"8 shards · pending :7001 810 · :7002 1216 · :7003 1198",
			"8 shards 412/398/405/391/420/387/402/409", "8 shards 387–420", "8 shards"}},
	{name: "cluster-unsharded", kind: redisconn.Cluster, tp: header.Topology{Masters: 3, Slots: threeMasters},
		shows: "cluster 3 masters v7.0.15 · uptime 3m25s"},
}

// openShardView is the main screen of v at w×h, with the probe's answer
// taken; base is the same screen of the same queue read unsharded.
func openShardView(t *testing.T, v shardView, w, h int) (m, base *Model) {
	t.Helper()
	gen := func(at time.Time, i int) queue.Stats { return sampleStats(at, i, 3) }
	if v.shards > 0 {
		gen = shardedStats(t, v.shards)
	}
	unsharded := func(at time.Time, i int) queue.Stats { s := gen(at, i); s.Shards = nil; return s }
	for _, out := range []**Model{&m, &base} {
		g := gen
		if out == &base {
			g = unsharded
		}
		*out, _ = fixtureWith(t, w, h, Options{Workers: &fakePool{n: 3}, Topology: Topology{Kind: v.kind, Name: v.tp.Name}}, g, sampleEvents())
		if v.tp.Masters > 0 || v.tp.Master != "" {
			(*out).Update(topologyMsg{where: Where{Master: v.tp.Master, Masters: v.tp.Masters, Slots: v.tp.Slots}})
		}
	}
	return m, base
}

// The header names the shards of a sharded queue and their pending depths
// after where the queue lives (per master on a cluster whose slot map is
// known), in the most detailed form that fits; nothing else on the screen
// moves: below the first line, the screen is the unsharded queue's. An
// unsharded queue's header is what it always was. Regenerate with go test
// ./tui/ -run TestViewShardGoldens -update.
func TestViewShardGoldens(t *testing.T) {
	for _, v := range shardViews {
		t.Run(v.name, func(t *testing.T) {
			for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 36}, {200, 50}} {
				t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
					m, base := openShardView(t, v, sz[0], sz[1])
					checkSize(t, m, sz[0], sz[1])
					s, b := screen(m), screen(base)
					first, rest, _ := strings.Cut(s, "\n")
					baseFirst, baseRest, _ := strings.Cut(b, "\n")
					if rest != baseRest {
						t.Fatalf("the shards moved the screen below the first line:\n%s\nunsharded:\n%s", s, b)
					}
					if v.shards == 0 && first != baseFirst {
						t.Fatalf("an unsharded queue's first line changed:\n%q\n%q", first, baseFirst)
					}
					if sz[0] == 120 && !strings.Contains(first, v.shows) {
						t.Fatalf("at 120 columns the first line lacks %q: %q", v.shows, first)
					}
					golden.RequireEqual(t, []byte(s))
					t.Run("styled", func(t *testing.T) {
						golden.RequireEqual(t, []byte(strings.Join(strings.Split(m.View().Content, "\n")[:3], "\n")))
					})
				})
			}
		})
	}
}

// At every width from 40 to 140 columns, and wider ones to 200, the first
// line is exactly as wide
// as the screen, and shows one of the shards' forms whole or none: detail
// is given up a step at a time, never cut (a depth losing a digit would be
// another depth). The queue's name and the connection state always stay,
// and the screen below is the unsharded one.
func TestViewShardsDegradeWithWidth(t *testing.T) {
	for _, v := range shardViews {
		if v.shards == 0 {
			continue
		}
		var seen []string
		m, base := openShardView(t, v, 40, 24)
		// Every width where a form can change (the queue's name and state
		// take 38 columns), then wide screens.
		widths := []int{160, 180, 200}
		for w := 140; w >= 40; w-- {
			widths = append([]int{w}, widths...)
		}
		for _, w := range widths {
			m.Update(tea.WindowSizeMsg{Width: w, Height: 24})
			base.Update(tea.WindowSizeMsg{Width: w, Height: 24})
			view := m.View().Content
			for i, l := range strings.Split(view, "\n") {
				if lw := ansi.StringWidth(l); lw != w {
					t.Fatalf("%s at %d: line %d is %d wide", v.name, w, i, lw)
				}
			}
			first, rest, _ := strings.Cut(ansi.Strip(view), "\n")
			if _, baseRest, _ := strings.Cut(screen(base), "\n"); rest != baseRest {
				t.Fatalf("%s at %d: the screen below the first line moved", v.name, w)
			}
			if !strings.Contains(first, "imgq image_processing · ● connected") {
				t.Fatalf("%s at %d: %q", v.name, w, first)
			}
			shown := ""
			for _, f := range v.forms {
				if strings.Contains(first, f) {
					shown = f
					break
				}
			}
			if shown == "" && strings.Contains(first, "shards") {
				t.Fatalf("%s at %d: the shards are cut: %q", v.name, w, first)
			}
			// The detail only grows with the width.
			if len(seen) > 0 && shown != seen[len(seen)-1] {
				for _, f := range seen {
					if f == shown {
						t.Fatalf("%s at %d: back to %q after a more detailed form", v.name, w, shown)
					}
				}
			}
			if len(seen) == 0 || seen[len(seen)-1] != shown {
				seen = append(seen, shown)
				t.Logf("%s from %3d: |%s|", v.name, w, strings.TrimRight(first, " "))
			}
		}
		if len(seen) < len(v.forms) {
			t.Errorf("%s: widths 40-200 showed %d forms (%q), want all %d", v.name, len(seen), seen, len(v.forms))
		}
	}
}

// A growing queue does not move the line: while every shard's depth stays
// under depthDigits digits, the first line's fields keep their columns.
func TestViewShardDepthsKeepTheLine(t *testing.T) {
	m, _ := openShardView(t, shardViews[0], 120, 36)
	uptime := func() int { return strings.Index(headerLines(m)[0], "uptime") }
	before := uptime()
	s := m.track.Last
	s.At = s.At.Add(time.Second)
	for i := range s.Shards {
		s.Shards[i].Pending = 999
	}
	m.Update(statsMsg{stats: s})
	if !strings.Contains(headerLines(m)[0], "999 / 999 / 999") || uptime() != before {
		t.Fatalf("uptime at %d, was %d: %q", uptime(), before, headerLines(m)[0])
	}
	if ansi.StringWidth(headerLines(m)[0]) != 120 {
		t.Fatal("line width")
	}
}
