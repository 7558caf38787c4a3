package header

import (
	"fmt"
	"net"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// depthDigits is how many digits a shard's depth may grow to without moving
// what follows it on the line, or making the line choose another form.
const depthDigits = 3

// whereField is the first line's connection field: where the queue lives,
// then, for a sharded queue, the first of shards (the most detailed form
// that fits); each narrower form is an alternative, down to where alone. An
// unsharded queue's field is where alone, as it always was.
func (m Model) whereField(where string, shards []field) field {
	st := m.c.Styles
	f := field{text: st.Text.Render(where), drop: 3}
	if len(shards) == 0 {
		return f
	}
	sep := st.Subtle.Render(" · ")
	forms := make([]field, 0, len(shards)+1)
	for _, s := range shards {
		forms = append(forms, field{text: f.text + sep + s.text, slot: ansi.StringWidth(f.text+sep) + s.slot, drop: 3})
	}
	forms[0].alts = append(forms[1:], f)
	return forms[0]
}

// shardForms are the texts that follow where on a sharded queue's first
// line, most detailed first, each narrower than the one before: each
// master's pending depth on a cluster whose slot map is known (`3 shards ·
// pending :7001 412 · :7002 398 · :7003 405`), each shard's (`3 shards ·
// pending 412 / 398 / 405`, then `3 shards 412/398/405`), their range
// (`3 shards 398–412`), the count alone. Each keeps the width of its depths
// at depthDigits digits, so a growing queue neither shifts the line nor
// flips it between forms. Nil when the queue is not sharded.
func (m Model) shardForms() []field {
	sh := m.track.Last.Shards
	if len(sh) == 0 {
		return nil
	}
	st, c := m.c.Styles, m.c
	sep, slash := st.Subtle.Render(" · "), st.Subtle.Render("/")
	count := st.Text.Render(fmt.Sprintf(c.T("%d shards"), len(sh)))
	pending := st.Label.Render(c.T("pending")) + " "
	var fs []field
	// form adds the form built with each depth's text from num: once with
	// the depths as they are, once as wide as depthDigits to size its slot.
	form := func(build func(num func(int64) string) string) {
		plain := func(n int64) string { return st.Value.Render(fmt.Sprint(n)) }
		wide := func(n int64) string { return fmt.Sprintf("%*d", depthDigits, n) }
		fs = append(fs, field{text: build(plain), slot: ansi.StringWidth(build(wide))})
	}
	if masters := m.shardsByMaster(sh); masters != nil {
		form(func(num func(int64) string) string {
			parts := make([]string, len(masters))
			for i, ms := range masters {
				depth := st.Muted.Render("-") // a master that holds no shard
				if ms.shards > 0 {
					depth = num(ms.pending)
				}
				parts[i] = st.Muted.Render(ms.name) + " " + depth
			}
			return count + sep + pending + strings.Join(parts, sep)
		})
	}
	depths := func(num func(int64) string, between string) string {
		parts := make([]string, len(sh))
		for i, s := range sh {
			parts[i] = num(s.Pending)
		}
		return strings.Join(parts, between)
	}
	form(func(num func(int64) string) string {
		return count + sep + pending + depths(num, " "+slash+" ")
	})
	form(func(num func(int64) string) string { return count + " " + depths(num, slash) })
	if len(sh) > 2 {
		lo, hi := sh[0].Pending, sh[0].Pending
		for _, s := range sh {
			lo, hi = min(lo, s.Pending), max(hi, s.Pending)
		}
		form(func(num func(int64) string) string { return count + " " + num(lo) + st.Subtle.Render("–") + num(hi) })
	}
	fs = append(fs, field{text: count, slot: ansi.StringWidth(count)})
	// A form no narrower than the one before it would never be chosen (with
	// many shards, the per-shard list is wider than the per-master one).
	narrower := fs[:1]
	for _, f := range fs[1:] {
		if f.width() < narrower[len(narrower)-1].width() {
			narrower = append(narrower, f)
		}
	}
	return narrower
}

// masterShards is what one cluster master holds of a sharded queue.
type masterShards struct {
	name    string // its address, as short as stays unambiguous
	shards  int
	pending int64
}

// shardsByMaster sums the shards' pending depths per master, in the
// topology's order, by the slot each shard hashes to. Nil when the slot map
// is unknown or does not cover every shard (a reshard moved a slot since the
// last probe): the header then shows the shards without their masters rather
// than a master holding what it no longer holds.
func (m Model) shardsByMaster(sh []queue.ShardStat) []masterShards {
	masters := m.info.Topology.Slots
	if len(masters) == 0 {
		return nil
	}
	names := shortAddrs(masters)
	out := make([]masterShards, len(masters))
	for i := range masters {
		out[i].name = names[i]
	}
	for _, s := range sh {
		i := masterOf(masters, s.Slot)
		if i < 0 {
			return nil
		}
		out[i].shards++
		out[i].pending += s.Pending
	}
	return out
}

// masterOf is the index of the master serving slot, -1 when none does.
func masterOf(masters []Master, slot int) int {
	for i, ms := range masters {
		for _, r := range ms.Ranges {
			if slot >= r[0] && slot <= r[1] {
				return i
			}
		}
	}
	return -1
}

// shortAddrs names the masters for the header: ":7001" when they all share
// one host (a cluster on one machine, a classroom's), else host:port. The
// addresses come from Redis, so they are cleaned.
func shortAddrs(masters []Master) []string {
	ports := make([]string, len(masters))
	hosts := map[string]bool{}
	for i, ms := range masters {
		host, port, err := net.SplitHostPort(ms.Addr)
		if err != nil {
			hosts = nil
			break
		}
		hosts[host] = true
		ports[i] = ":" + common.Clean(port)
	}
	if len(hosts) == 1 {
		return ports
	}
	full := make([]string, len(masters))
	for i, ms := range masters {
		full[i] = common.Clean(ms.Addr)
	}
	return full
}
