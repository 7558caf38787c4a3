package events

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// monTok is one word of a MONITOR line on screen: the command, a key, or a
// value in the forms it may take, longest first.
type monTok struct {
	key   bool
	forms [2]string
	style lipgloss.Style
}

func (t monTok) form(level int) string { return t.forms[min(level, len(t.forms)-1)] }

// monTokens is a line's command and arguments as words. A script call names
// the queue's script ("EVALSHA claim.lua", which tells a class which state
// transition this is, where a SHA1 tells it nothing); its numkeys is dropped,
// as the keys it counts are shown as keys.
func (m Model) monTokens(l monLine) []monTok {
	st := m.c.Styles
	cmdSt := st.MonCmd
	if l.Script() {
		cmdSt = st.Kind(queue.EventClaimed) // commands run inside a script
	}
	word := func(s string, style lipgloss.Style) monTok {
		s = common.Clean(s)
		return monTok{forms: [2]string{s, s}, style: style}
	}
	toks := []monTok{word(l.Cmd, cmdSt)}
	args := l.Args
	switch l.Cmd {
	case "EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO":
		if len(args) > 0 {
			name := queue.ScriptName(args[0].Text)
			switch {
			case name != "":
			case strings.HasPrefix(l.Cmd, "FCALL"):
				name = args[0].Text
			default:
				name = ansi.Truncate(args[0].Text, 9, "…") // a script not the queue's
			}
			script := word(name, st.MonCmd)
			script.key = true // kept whole like a key: it says what the call does
			toks = append(toks, script)
			args = args[1:]
		}
		args = dropNumkeys(args)
	case "EVAL", "EVAL_RO":
		if len(args) > 0 {
			toks = append(toks, m.valueTok(args[0]))
			args = dropNumkeys(args[1:])
		}
	}
	for _, a := range args {
		if a.Key {
			k := word(a.Text, st.Text)
			k.key = true
			toks = append(toks, k)
		} else {
			toks = append(toks, m.valueTok(a))
		}
	}
	return toks
}

func dropNumkeys[T any](args []T) []T {
	if len(args) > 0 {
		return args[1:]
	}
	return args
}

// valueTok is a value in two sizes: whole up to 24 cells (else its head and
// size), whole up to 12 (else its head for a short value, its size for a long
// one). A payload or an image is never copied to the screen, only its size.
func (m Model) valueTok(a redisconn.MonitorArg) monTok {
	st := m.c.Styles
	s := common.Clean(a.Text)
	if s == "" || strings.Contains(s, " ") {
		s = `"` + s + `"`
	}
	size := "…(" + bytesLabel(a.Size) + ")"
	w := ansi.StringWidth(s)
	pick := func(limit int, long string) string {
		if w <= limit && !a.Cut {
			return s
		}
		return long
	}
	short := size
	if a.Size <= 40 && !a.Cut {
		// An id or a timestamp: its head tells tasks apart (and / finds a
		// task by it) where "…(21 B)" would not.
		short = ansi.Truncate(s, 10, "…")
	}
	return monTok{style: st.Muted, forms: [2]string{pick(24, ansi.Truncate(s, 10, "")+size), pick(12, short)}}
}

func bytesLabel(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// flowTokens lays words out in rows, the first first cells wide, the others
// rest. Keys win: a line takes the rows its command and keys need, and the
// values after the last key get what room is left: shown as large as they fit,
// then folded from the end into "…+N" (N more), "…", or nothing. A key wider
// than a row is split across rows, never cut.
func flowTokens(toks []monTok, first, rest int) []string {
	last := 0 // the last key (the command when there is none)
	for i, t := range toks {
		if t.key {
			last = i
		}
	}
	tail := len(toks) - last - 1
	least := len(place(toks[:last+1], 1, first, rest))
	for level := range 2 {
		if rows := place(toks, level, first, rest); len(rows) <= least {
			return rows
		}
	}
	for n := 1; n <= tail; n++ {
		if rows := place(fold(toks, n, fmt.Sprintf("…+%d", n)), 1, first, rest); len(rows) <= least {
			return rows
		}
	}
	if rows := place(fold(toks, tail, "…"), 1, first, rest); len(rows) <= least {
		return rows
	}
	return place(toks[:last+1], 1, first, rest)
}

// fold replaces the last n words with one, more ("…+3": three more arguments).
func fold(toks []monTok, n int, more string) []monTok {
	if n < 1 {
		return toks
	}
	keep := toks[: len(toks)-n : len(toks)-n]
	return append(keep, monTok{forms: [2]string{more, more}, style: toks[len(toks)-1].style})
}

// place puts the words at level in rows: the first first cells wide, the
// others rest cells wide.
func place(toks []monTok, level, first, rest int) []string {
	var rows []string
	width := first
	var cur strings.Builder
	used := 0
	flush := func() {
		rows = append(rows, cur.String())
		cur.Reset()
		used, width = 0, rest
	}
	for _, t := range toks {
		s := t.form(level)
		w := ansi.StringWidth(s)
		if used > 0 && used+1+w > width {
			flush()
		}
		if used > 0 {
			cur.WriteByte(' ')
			used++
		}
		for t.key && w > width-used { // a key longer than a row: split, never cut
			n := width - used
			cur.WriteString(t.style.Render(ansi.Cut(s, 0, n)))
			flush()
			s = ansi.Cut(s, n, w)
			w = ansi.StringWidth(s)
		}
		if !t.key && w > width-used {
			s = ansi.Truncate(s, width-used, "…")
		}
		cur.WriteString(t.style.Render(s))
		used += ansi.StringWidth(s)
	}
	if used > 0 || len(rows) == 0 {
		flush()
	}
	return rows
}

// ownFilter recognises the dashboard's own polling in MONITOR: the stats script
// (every refresh, with the LLEN/HGETALL calls it makes inside Lua) and the
// blocking read of the events stream; and imgq's housekeeping bookkeeping that
// every process repeats twice a second: the election of the pass's
// housekeeper (housekeep_lock) and the observer of course workers (observe.lua,
// ~25 lines a pass). Hidden by default: they would bury the claims, heartbeats
// and acknowledgements the class came to see.
type ownFilter struct {
	prefixes []string
	hide     bool
	inScript bool // inside the lua lines of a hidden script call
}

func (f *ownFilter) drop(line string) bool {
	if !f.hide || len(f.prefixes) == 0 {
		f.inScript = false
		return false
	}
	isLua := strings.Contains(line, " lua] ")
	if isLua {
		return f.inScript
	}
	f.inScript = false
	for _, prefix := range f.prefixes {
		q := func(s string) string { return `"` + prefix + s + `"` }
		switch {
		case strings.Contains(line, q("config")) && strings.Contains(line, q("worker:")) && strings.Contains(line, q("workers:gone")):
			f.inScript = true // the stats script
			return true
		case strings.Contains(line, `"XREAD"`) || strings.Contains(line, `"xread"`):
			if strings.Contains(line, q("events")) {
				return true
			}
		}
	}
	if name := queue.ScriptName(evalshaOf(line)); background[name] {
		f.inScript = true
		return true
	}
	return false
}

// workerKey returns the worker id of a worker hash key (<prefix>worker:<id>)
// under one of the queue's prefixes.
func (f *ownFilter) workerKey(key string) (string, bool) {
	for _, prefix := range f.prefixes {
		if prefix == "" {
			continue
		}
		if id, ok := strings.CutPrefix(key, prefix+"worker:"); ok {
			return id, true
		}
	}
	return "", false
}

// background are the housekeeping scripts h hides with the dashboard's polling.
var background = map[string]bool{"housekeep_lock": true, "observe.lua": true}

// evalshaOf returns the SHA of an EVALSHA line as MONITOR quotes it, or "".
func evalshaOf(line string) string {
	i := strings.Index(strings.ToLower(line), `"evalsha" "`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(`"evalsha" "`):]
	if j := strings.IndexByte(rest, '"'); j > 0 {
		return rest[:j]
	}
	return ""
}
