package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

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
