package events

import (
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// monitorPane is the MONITOR feed inside the events pane: the lines kept for
// scrolling back, what was hidden or dropped (said on screen, in words), and
// which worker each client address belongs to.
type monitorPane struct {
	buf     buffer[monLine]
	note    string // starting, refused, closed: shown above the lines
	own     ownFilter
	hidden  int64             // the dashboard's own reads hidden since MONITOR went on
	dropped int64             // lines the feed dropped: they came faster than it was read
	workers map[string]string // client address -> worker id, learned from its lines
	shared  map[string]bool   // addresses seen for several workers (one process' pool)
	pooled  map[string]bool   // workers that share a process, and so its connections
	narrow  bool              // the pane is under 100 cells: columns shrink
}

// monLine is one line of the feed, parsed once when it arrives.
type monLine struct {
	redisconn.MonitorLine
	ok     bool
	raw    string // what did not parse, shown as it came
	worker string // the worker this line names (its worker hash is a key)
}

func newMonitorPane(prefixes []string) monitorPane {
	return monitorPane{
		buf:     buffer[monLine]{follow: true},
		own:     ownFilter{prefixes: prefixes, hide: true},
		workers: map[string]string{}, shared: map[string]bool{}, pooled: map[string]bool{},
	}
}

// SetMonitor switches between events and the MONITOR feed. Switching on starts
// from an empty feed with note shown until lines arrive.
func (m *Model) SetMonitor(on bool, note string) {
	m.monitor = on
	if on {
		hide := m.mon.own.hide
		m.mon = newMonitorPane(m.mon.own.prefixes)
		m.mon.own.hide = hide
	}
	m.mon.note = note
}

// Monitor reports whether the pane shows the MONITOR feed.
func (m Model) Monitor() bool { return m.monitor }

// SetMonitorNote shows a status (refused, ended) in the MONITOR pane.
func (m *Model) SetMonitorNote(note string) { m.mon.note = note }

// HideOwn reports whether the dashboard's own reads are hidden from MONITOR.
func (m Model) HideOwn() bool { return m.mon.own.hide }

// AddMonitor appends MONITOR lines as redisconn.Monitor hands them on, dropping
// the dashboard's own polling when that filter is on. dropped counts lines a
// feed lost without saying so in band (redisconn's "imgq:dropped N" marker).
func (m *Model) AddMonitor(lines []string, dropped int64) {
	p := &m.mon
	p.dropped += dropped
	kept := make([]monLine, 0, len(lines))
	for _, raw := range lines {
		if p.own.drop(raw) {
			p.hidden++
			continue
		}
		l, ok := redisconn.ParseMonitorLine(raw)
		ml := monLine{MonitorLine: l, ok: ok}
		if !ok {
			ml.raw = raw
		}
		p.dropped += l.Dropped
		ml.worker = p.learn(l)
		kept = append(kept, ml)
	}
	p.buf.add(kept)
	if len(kept) > 0 {
		p.note = ""
	}
}

// SetMonitorWorkers tells the pane which workers share a process, and so its
// connections: several in one process, or the dashboard's own embedded
// workers, whose pool also carries the dashboard's housekeeping and enqueues.
// An address seen for one of them says nothing about the next line it sends.
func (m *Model) SetMonitorWorkers(ws []queue.WorkerStat) {
	procs := map[string]int{}
	key := func(host string, pid int) string { return fmt.Sprintf("%s/%d", host, pid) }
	for _, w := range ws {
		procs[key(w.Host, w.PID)]++
	}
	host, _ := os.Hostname()
	self := key(host, os.Getpid())
	clear(m.mon.pooled)
	for _, w := range ws {
		if k := key(w.Host, w.PID); procs[k] > 1 || k == self {
			m.mon.pooled[w.ID] = true
		}
	}
}

// learn returns the worker a line names by its own keys (imgq's scripts pass
// the worker's hash, <prefix>worker:<id>) and remembers its address for that
// worker's other lines (a BLPOP says nothing about who sent it). The dashboard's
// embedded workers share one connection pool: an address seen for two workers
// (or of a worker known to share its process) is shared, and its other lines
// keep the address rather than guess.
func (p *monitorPane) learn(l redisconn.MonitorLine) string {
	if l.Script() || l.Client == "" {
		return ""
	}
	for _, a := range l.Args {
		id, ok := p.own.workerKey(a.Text)
		if !a.Key || !ok || id == "" || strings.Contains(id, ":") {
			continue
		}
		if was, seen := p.workers[l.Client]; (seen && was != id) || p.pooled[id] {
			p.shared[l.Client] = true
		}
		p.workers[l.Client] = id
		return id
	}
	return ""
}

// client is the short name of who sent a line: "lua" inside a script, the
// worker's id where known, else the address the server saw.
func (p *monitorPane) client(l monLine) (label string, named bool) {
	switch {
	case l.Script():
		return "lua", false
	case l.worker != "":
		return common.Clean(l.worker), true
	case !p.shared[l.Client] && p.workers[l.Client] != "":
		return common.Clean(p.workers[l.Client]), true
	}
	return shortAddr(common.Clean(l.Client), p.narrow), false
}

// shortAddr drops the host of a loopback address on a narrow pane: in a class
// on one laptop every client is 127.0.0.1, and the port is what tells them apart.
func shortAddr(addr string, narrow bool) string {
	if !narrow {
		return addr
	}
	for _, lo := range []string{"127.0.0.1:", "[::1]:"} {
		if port, ok := strings.CutPrefix(addr, lo); ok {
			return ":" + port
		}
	}
	return addr
}

func (m Model) monitorView() string {
	c, st := m.c, m.c.Styles
	m.mon.narrow = m.w < 100
	lines := []string{c.PaneTitle("MONITOR", m.monitorNote(), m.focused, m.w)}
	if m.mon.note != "" {
		lines = append(lines, st.Warn.Render("   "+m.mon.note))
	}
	lines = append(lines, m.monitorWhy()...)
	lines = append(lines, m.monitorRows(m.h-len(lines))...)
	return common.Block(lines, m.w, m.h)
}

// monitorNote is the title's note: follow state and the own-reads switch.
func (m Model) monitorNote() string {
	c, st := m.c, m.c.Styles
	note := c.T("following")
	if !m.mon.buf.follow {
		note = st.Warn.Render(fmt.Sprintf(c.T("paused, %d new"), m.mon.buf.unseen)) + st.Muted.Render(" (G)")
	}
	own := c.T("own reads shown")
	if m.mon.own.hide {
		own = c.T("own reads hidden")
	}
	return note + " · " + own + st.Muted.Render(" (h)")
}

// monitorWhy says, in words, which lines are not on screen and why: lost
// because the dashboard could not keep up, hidden because they are its own
// polling, or forgotten because only the newest Keep are kept.
func (m Model) monitorWhy() []string {
	c, st, p := m.c, m.c.Styles, m.mon
	var parts []string
	if p.dropped > 0 {
		parts = append(parts, st.Warn.Render(fmt.Sprintf(c.T("%s lines lost: Redis sent them faster than the dashboard read them"), common.Count(p.dropped))))
	}
	if p.hidden > 0 && p.own.hide {
		parts = append(parts, st.Muted.Render(fmt.Sprintf(c.T("%s hidden: the dashboard's own polling and housekeeping (h shows them)"), common.Count(p.hidden))))
	}
	if p.buf.skipped > 0 && !p.buf.follow && p.buf.off == 0 {
		parts = append(parts, st.Muted.Render(fmt.Sprintf(c.T("older lines are not kept (the newest %d are)"), Keep)))
	}
	if len(parts) == 0 {
		return nil
	}
	if one := "   " + strings.Join(parts, st.Muted.Render(" · ")); ansi.StringWidth(one) <= m.w {
		return []string{one}
	}
	for i := range parts {
		parts[i] = "   " + parts[i]
	}
	return parts
}

// monitorRows lays out the lines in view in at most rows rows: a line whose
// keys do not fit one row goes on below its command, so no key is ever cut.
// Following, the newest line is at the bottom; scrolled, the line at the
// scroll offset is at the top.
func (m Model) monitorRows(rows int) []string {
	if rows <= 0 {
		return nil
	}
	win := m.mon.buf.window(rows)
	lay := m.monLayout(win)
	var out []string
	if m.mon.buf.follow {
		all := len(win) == len(m.mon.buf.items) // nothing older to show above
		for i := len(win) - 1; i >= 0; i-- {
			r := m.monitorLine(win[i], lay)
			if len(out)+len(r) > rows {
				if len(out) == 0 {
					out = r[:rows]
				}
				all = false
				break
			}
			out = append(r, out...)
		}
		if all {
			return out
		}
		// The newest line stays on the bottom row when the one above it
		// does not fit whole.
		return append(make([]string, rows-len(out)), out...)
	}
	for _, l := range win {
		r := m.monitorLine(l, lay)
		if len(out)+len(r) > rows {
			return append(out, r[:rows-len(out)]...)
		}
		out = append(out, r...)
	}
	return out
}

// monCols are the widths of the time and client columns, the same for every
// line on screen so commands line up.
type monCols struct {
	clock  string // time layout
	client int
}

// monLayout picks the columns for the lines in view: wall time to the
// millisecond (the order and spacing of commands is the lesson), without the
// hour on a narrow pane; the client column as wide as its widest name.
func (m Model) monLayout(win []monLine) monCols {
	lay := monCols{clock: "04:05.000", client: 3}
	limit := 16
	if !m.mon.narrow {
		lay.clock, limit = "15:04:05.000", 24
	}
	for _, l := range win {
		if l.ok && l.Dropped == 0 {
			name, _ := m.mon.client(l)
			lay.client = max(lay.client, min(ansi.StringWidth(name), limit))
		}
	}
	return lay
}

// monitorLine renders one line in one or more rows:
//
//	12:00:01.675 ana   EVALSHA claim.lua image_processing:pending:high … ana 1 30000
//	12:00:01.675 lua     LPOP image_processing:pending:high
//
// Keys are shown whole; values shrink (…(312 B)) before a key moves to the
// next row. Lines a script ran are indented under the script's call.
func (m Model) monitorLine(l monLine, lay monCols) []string {
	st := m.c.Styles
	switch {
	case l.Dropped > 0:
		return []string{st.Warn.Render(fmt.Sprintf("   ⋯ "+m.c.T("%s lines lost here"), common.Count(l.Dropped)))}
	case !l.ok:
		return []string{" " + st.Text.Render(common.Fit(common.Clean(l.raw), max(m.w-1, 1)))}
	}
	name, named := m.mon.client(l)
	var cell string
	switch {
	case l.Script():
		cell = common.Fit(st.Subtle.Render(name), lay.client)
	case named:
		cell = common.Fit(st.Text.Render(name), lay.client)
	default: // an address: its port tells connections apart, so cut from the left
		cell = st.MonMeta.Render(common.FitLeft(cutLeft(name, lay.client), lay.client))
	}
	clock := st.MonMeta.Render(l.Time.In(m.c.Loc).Format(lay.clock))
	prefix := " " + clock + " " + cell + " "
	if l.Script() {
		prefix += "  "
	}
	// The rest of a long line goes on under the client column: wide enough
	// for two of the queue's keys side by side on an 80-column pane.
	more := 2 + ansi.StringWidth(clock) + 2
	first := ansi.StringWidth(prefix)
	rows := flowTokens(m.monTokens(l), max(m.w-first, 8), max(m.w-more, 8))
	for i := range rows {
		if i == 0 {
			rows[i] = prefix + rows[i]
		} else {
			rows[i] = strings.Repeat(" ", more) + rows[i]
		}
	}
	return rows
}

// cutLeft keeps the end of s in w cells: "…0.0.1:56902".
func cutLeft(s string, w int) string {
	if ansi.StringWidth(s) <= w || w < 2 {
		return s
	}
	return "…" + s[len(s)-(w-1):]
}
