package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// eventLine renders one event: time, kind, task, worker, then what matters for
// that kind. Every field from the stream is untrusted and cleaned.
func (m Model) eventLine(e queue.Event) string {
	c, st := m.c, m.c.Styles
	taskW, workerW := 14, 10
	if m.w >= 110 {
		taskW, workerW = 22, 14
	}
	ks := st.Kind(e.Kind)
	task := common.Clean(e.Task)
	worker := common.Clean(e.Worker)
	// What is special about this event first, the task's name last: on a
	// narrow pane the error must not be the part that is cut.
	var det []string
	if e.Prev != "" {
		det = append(det, st.Kind(queue.EventRecovered).Render(fmt.Sprintf(c.T("recovered from %s"), common.Clean(e.Prev))))
	}
	if e.Error != "" {
		det = append(det, st.Error.Render(common.Clean(e.Error)))
	}
	switch e.Kind {
	case queue.EventCompleted:
		// Durations travel in whole milliseconds: 0 means under one, not "0s".
		d := common.Duration(e.Duration)
		if e.Duration < time.Millisecond {
			d = "<1ms"
		}
		det = append(det, st.OK.Render(d))
	case queue.EventClaimed, queue.EventRetried, queue.EventFailed:
		if e.Attempt > 1 || (e.Attempt > 0 && e.Kind != queue.EventClaimed) {
			det = append(det, st.Warn.Render(fmt.Sprintf(c.T("attempt %d"), e.Attempt)))
		}
	case queue.EventFlushed:
		det = append(det, fmt.Sprintf(c.T("%d keys"), e.Count))
	}
	if n := common.Clean(e.Name); n != "" {
		det = append(det, st.Muted.Render(n))
	}
	wcell := common.Fit(st.Muted.Render(worker), workerW)
	if e.Observed {
		// Derived by imgq from a course worker's moves, not reported by it:
		// the id is cut before the mark is.
		wcell = common.Marked(st.Muted.Render(worker), st.Subtle.Render(common.ObservedMark), workerW)
	}
	line := " " + st.Subtle.Render(c.Clock(e.Time)) + " " +
		ks.Render(common.Fit(c.T(common.Clean(e.Kind)), 11)) + " " +
		common.Fit(st.Text.Render(task), taskW) + " " +
		wcell + " " + strings.Join(det, "  ")
	return common.Fit(line, m.w)
}

func (m Model) monitorView() string {
	c, st := m.c, m.c.Styles
	note := m.note(&m.mon.follow, m.mon.unseen, m.mon.skipped)
	if m.own.hide {
		note += " · " + c.T("own reads hidden") + st.Muted.Render(" (h)")
	} else {
		note += " · " + c.T("own reads shown") + st.Muted.Render(" (h)")
	}
	lines := []string{c.PaneTitle("MONITOR", note, m.focused, m.w)}
	if m.monNote != "" {
		lines = append(lines, st.Warn.Render("   "+m.monNote))
	}
	for _, l := range m.mon.window(m.visible() - len(lines) + 1) {
		lines = append(lines, m.monitorLine(l))
	}
	return common.Block(lines, m.w, m.h)
}

// monitorLine styles a line as redis-cli prints it:
//
//	1732581234.567890 [0 127.0.0.1:54321] "EVALSHA" "9f2c…" "11" …
//
// The timestamp becomes wall time; the command word stands out.
func (m Model) monitorLine(raw string) string {
	c, st := m.c, m.c.Styles
	l := common.Clean(raw)
	ts, rest, ok := strings.Cut(l, " ")
	if !ok {
		return " " + st.Text.Render(l)
	}
	if f, err := strconv.ParseFloat(ts, 64); err == nil {
		t := time.UnixMicro(int64(f * 1e6))
		ts = c.Clock(t) + fmt.Sprintf(".%03d", t.Nanosecond()/1e6)
	}
	client := ""
	if strings.HasPrefix(rest, "[") {
		if i := strings.Index(rest, "] "); i >= 0 {
			client, rest = rest[:i+1], rest[i+2:]
		}
	}
	cmd, args, _ := strings.Cut(rest, " ")
	cmd = strings.Trim(cmd, `"`)
	cmdSt := st.MonCmd
	if strings.Contains(client, "lua") {
		cmdSt = st.Kind(queue.EventClaimed) // commands run inside a script
	}
	// Name the queue's scripts: "EVALSHA claim.lua" tells a class which state
	// transition this is, where a SHA1 tells it nothing.
	if strings.EqualFold(cmd, "evalsha") {
		sha, more, _ := strings.Cut(args, " ")
		if name := queue.ScriptName(strings.Trim(sha, `"`)); name != "" {
			args = st.MonCmd.Render(name) + " " + more
		}
	}
	// go-redis sends command names in lower case; the class reads them as the
	// docs spell them.
	return " " + st.MonMeta.Render(ts+" "+common.Fit(client, 19)) + " " + cmdSt.Render(strings.ToUpper(cmd)) + " " + st.Text.Render(args)
}

// ownFilter recognises the dashboard's own polling in MONITOR: the stats script
// (every refresh, with the LLEN/HGETALL calls it makes inside Lua) and the
// blocking read of the events stream. Hidden by default: four refreshes a
// second would bury the BLMOVE and EVALSHA the class came to see.
type ownFilter struct {
	prefix   string
	hide     bool
	inScript bool // inside the lua lines of a hidden script call
}

func (f *ownFilter) drop(line string) bool {
	if !f.hide || f.prefix == "" {
		f.inScript = false
		return false
	}
	isLua := strings.Contains(line, " lua] ")
	if isLua {
		return f.inScript
	}
	f.inScript = false
	q := func(s string) string { return `"` + f.prefix + s + `"` }
	switch {
	case strings.Contains(line, q("config")) && strings.Contains(line, q("worker:")) && strings.Contains(line, q("workers:gone")):
		f.inScript = true // the stats script
		return true
	case strings.Contains(line, `"XREAD"`) || strings.Contains(line, `"xread"`):
		return strings.Contains(line, q("events"))
	}
	return false
}
