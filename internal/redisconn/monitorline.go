package redisconn

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MonitorLine is one line of MONITOR output, parsed:
//
//	1700000000.123456 [0 127.0.0.1:39956] "HSET" "task:abc" "status" "done"
//	1700000000.123500 [0 lua] "LMOVE" "q:pending" "q:processing" "LEFT" "RIGHT"
//
// A dashboard needs to know which arguments name keys (shown whole: they are
// the lesson) and which carry values (elided: a payload can be megabytes).
type MonitorLine struct {
	Time   time.Time
	DB     int
	Client string // "127.0.0.1:39956", "[::1]:6000", "unix:/run/redis.sock", or "lua" (a script's own call)
	Cmd    string // upper case: go-redis sends "evalsha", redis-py "EVALSHA"
	Args   []MonitorArg
	// Dropped, when not 0, marks a gap instead of a command: the feed dropped
	// this many lines because its reader was not keeping up (see Monitor).
	Dropped int64
}

// MonitorArg is one argument as the server printed it.
type MonitorArg struct {
	// Text is the argument as MONITOR quotes it, without the quotes: escapes
	// (\n, \", \xff) are kept, so it is printable ASCII, never raw bytes.
	Text string
	Size int  // bytes once unescaped; for a Cut argument, an estimate
	Key  bool // names a key (or a channel): never to be elided
	Cut  bool // the line was cut (MaxMonitorLine) inside this argument
}

// Script reports whether a script (EVAL, EVALSHA, FCALL) ran this command.
func (l MonitorLine) Script() bool { return l.Client == "lua" }

// droppedMarker starts the line Monitor puts in its feed where it dropped
// lines. Server lines start with a digit, so it cannot be mistaken for one.
const droppedMarker = "imgq:dropped "

// droppedLine is the feed's marker for n dropped lines.
func droppedLine(n int64) string { return droppedMarker + strconv.FormatInt(n, 10) }

// ParseMonitorLine parses one line of the feed Monitor returns (and what
// redis-cli MONITOR prints). ok is false for a line of another shape (the "OK"
// that answers MONITOR), which a caller shows as it is.
func ParseMonitorLine(s string) (l MonitorLine, ok bool) {
	if n, found := strings.CutPrefix(s, droppedMarker); found {
		d, err := strconv.ParseInt(n, 10, 64)
		return MonitorLine{Dropped: d}, err == nil && d > 0
	}
	total := -1 // the whole line's length when readLine cut it
	if i := strings.LastIndex(s, "… ("); i >= 0 && strings.HasSuffix(s, " bytes)") {
		if n, err := strconv.Atoi(s[i+len("… (") : len(s)-len(" bytes)")]); err == nil {
			s, total = s[:i], n
		}
	}
	line := s
	ts, rest, found := strings.Cut(s, " ")
	if !found {
		return l, false
	}
	if l.Time, ok = parseStamp(ts); !ok {
		return l, false
	}
	meta, rest, found := strings.Cut(rest, "] ")
	if !found || !strings.HasPrefix(meta, "[") {
		return l, false
	}
	db, client, found := strings.Cut(meta[1:], " ")
	if !found {
		return l, false
	}
	l.DB, _ = strconv.Atoi(db)
	l.Client = client
	args := splitQuoted(rest, total, len(line)-len(rest))
	if len(args) == 0 {
		return l, false
	}
	l.Cmd = strings.ToUpper(args[0].Text)
	l.Args = args[1:]
	markKeys(l.Cmd, l.Args)
	return l, true
}

// parseStamp reads "1700000000.123456" without a float's rounding.
func parseStamp(ts string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, false
		}
	}
	return time.Unix(s, ns), true
}

// splitQuoted splits `"a" "b\"c"` into its arguments. A line readLine cut
// (total >= 0) ends inside an argument without its closing quote: that one is
// marked Cut, its size estimated from the bytes the line had. offset is where
// s starts in the whole line.
func splitQuoted(s string, total, offset int) []MonitorArg {
	var out []MonitorArg
	i := 0
	for i < len(s) {
		if s[i] == ' ' {
			i++
			continue
		}
		if s[i] != '"' {
			// Not MONITOR's quoting: keep the rest as one value.
			out = append(out, MonitorArg{Text: s[i:], Size: len(s) - i})
			break
		}
		start := i
		j, size, closed := i+1, 0, false
		for j < len(s) {
			c := s[j]
			if c == '"' {
				closed = true
				break
			}
			if c == '\\' && j+1 < len(s) {
				if s[j+1] == 'x' && j+3 < len(s) {
					j += 4
				} else {
					j += 2
				}
			} else {
				j++
			}
			size++
		}
		a := MonitorArg{Text: s[start+1 : min(j, len(s))], Size: size}
		if !closed {
			a.Cut = total >= 0
			if a.Cut {
				// What the server sent past this argument's start, minus its
				// closing quote: the escapes make it an estimate.
				a.Size = max(total-1-offset-start-2, size) // "+" and the quotes
			}
		}
		out = append(out, a)
		i = j + 1
	}
	return out
}

// String is the line as MONITOR printed it (for tests and logs).
func (l MonitorLine) String() string {
	if l.Dropped > 0 {
		return droppedLine(l.Dropped)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%06d [%d %s] %q", l.Time.Unix(), l.Time.Nanosecond()/1000, l.DB, l.Client, l.Cmd)
	for _, a := range l.Args {
		b.WriteString(` "` + a.Text + `"`)
	}
	return b.String()
}
