package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
)

// columns are the widths of the event columns, fitted to the pane: time, kind,
// task, worker and duration keep their width (ids whole where the pane allows);
// name and detail share the rest.
type columns struct{ kind, task, worker, dur, name, detail int }

func (m Model) columns() columns {
	wide := m.w >= 100
	mark := 0
	if m.observed {
		mark = 2 // " ◦" after an observed worker's id
	}
	c := columns{kind: 11, task: 14, worker: min(max(m.workerW, 6), 10) + mark, dur: 5, name: 14}
	if wide {
		// Every kind whole (worker_stopped), ids whole up to 22 and 24 cells.
		c.kind, c.task, c.worker, c.name = 14, min(max(m.taskW, 14), 22), min(max(m.workerW, 6), 24)+mark, 18
	}
	rest := m.w - (1 + 8 + 1 + c.kind + 1 + c.task + 1 + c.worker + 1 + c.dur + 1)
	if rest < c.name+1+24 {
		// No room for both: one column, the detail first and the name after
		// it, so an error is the last thing cut (and the selected row wraps).
		c.name, c.detail = 0, max(rest, 0)
		return c
	}
	c.detail = rest - c.name - 1
	return c
}

func (c columns) header(m Model) string {
	t := m.c.T
	return m.c.Styles.ColHeader.Render(" " + common.Fit(t("time"), 8) + " " + common.Fit(t("kind"), c.kind) + " " +
		common.Fit(t("task"), c.task) + " " + common.Fit(t("worker"), c.worker) + " " +
		common.FitLeft(t("took"), c.dur) + " " + nameCell(t("name"), c.name) + t("detail"))
}

// part is one styled piece of an event's detail.
type part struct {
	text  string
	style interface{ Render(...string) string }
}

// details is what is special about an event, most telling first, in plain
// parts (cut and wrapped before they are styled). Every field from the stream
// is untrusted and cleaned.
func (m Model) details(e queue.Event) []part {
	c, st := m.c, m.c.Styles
	var det []part
	if e.Prev != "" {
		det = append(det, part{fmt.Sprintf(c.T("recovered from %s"), common.Clean(e.Prev)), st.Kind(queue.EventRecovered)})
	}
	if e.Error != "" {
		// The error before the attempt: on a narrow pane it is the part that
		// matters.
		det = append(det, part{common.Clean(e.Error), st.Error})
	}
	switch e.Kind {
	case queue.EventClaimed, queue.EventRetried, queue.EventFailed:
		if e.Attempt > 1 || (e.Attempt > 0 && e.Kind != queue.EventClaimed) {
			det = append(det, part{fmt.Sprintf(c.T("attempt %d"), e.Attempt), st.Warn})
		}
	case queue.EventFlushed:
		det = append(det, part{fmt.Sprintf(c.T("%d keys"), e.Count), st.Text})
	case queue.EventWorkerUp, queue.EventWorkerGone, queue.EventWorkerStop:
		// A worker's event carries its host and pid where a task's carries its name.
		if n := common.Clean(e.Name); n != "" {
			det = append(det, part{n, st.Muted})
		}
	}
	return det
}

// isWorkerEvent: the name field holds the worker's host, shown as detail.
func isWorkerEvent(kind string) bool {
	return kind == queue.EventWorkerUp || kind == queue.EventWorkerGone || kind == queue.EventWorkerStop
}

// eventLine renders one event in the pane's columns. A detail longer than its
// column is cut after a whole word with …; with expand (the selected event)
// the rest follows on wrapped lines under the detail column, so every word can
// be read (enter opens the task's whole record too).
func (m Model) eventLine(e queue.Event, cols columns, expand bool) (string, []string) {
	c, st := m.c, m.c.Styles
	kind := kindLabel(kindText(c, common.Clean(e.Kind)), cols.kind)
	task := common.Clean(e.Task)
	worker := common.Clean(e.Worker)
	wcell := common.Fit(st.Muted.Render(worker), cols.worker)
	if e.Observed {
		// Derived by imgq from a course worker's moves, not reported by it:
		// the id is cut before the mark is.
		wcell = common.Marked(st.Muted.Render(worker), st.Subtle.Render(common.ObservedMark), cols.worker)
	}
	dur := ""
	if e.Kind == queue.EventCompleted || e.Duration > 0 {
		// Durations travel in whole milliseconds: 0 means under one, not "0s".
		dur = common.Duration(e.Duration)
		if e.Duration < time.Millisecond {
			dur = "<1ms"
		}
	}
	name := ""
	if !isWorkerEvent(e.Kind) {
		name = common.Clean(e.Name)
	}
	det := m.details(e)
	if cols.name == 0 && name != "" {
		det = append(det, part{name, st.Muted})
		name = ""
	}
	plain := make([]string, len(det))
	for i, p := range det {
		plain[i] = p.text
	}
	full := strings.Join(plain, "  ")
	shown := common.CutWords(full, cols.detail)
	line := " " + st.Subtle.Render(c.Clock(e.Time)) + " " +
		st.Kind(e.Kind).Render(common.Fit(kind, cols.kind)) + " " +
		common.Fit(st.Text.Render(task), cols.task) + " " + wcell + " " +
		st.OK.Render(common.FitLeft(dur, cols.dur)) + " " +
		nameCell(st.Muted.Render(name), cols.name) + styleParts(det, shown)
	line = common.Fit(line, m.w)
	if !expand {
		return line, nil
	}
	var more []string
	if cols.name > 0 && ansi.StringWidth(name) > cols.name {
		more = append(more, name)
	}
	if shown != full {
		more = append(more, full)
	}
	// The rest wraps under the name column (the widest room that stays
	// aligned), or further left when that is narrower than 24 cells.
	room := max(cols.name+1+cols.detail-1, min(24, m.w-2))
	indent := max(m.w-room-1, 1)
	var out []string
	for _, t := range more {
		for _, l := range common.WrapWords(t, room) {
			out = append(out, strings.Repeat(" ", max(indent, 1))+st.Text.Render(l))
		}
	}
	return line, out
}

// kindText is an event kind in the pane's language. "completed" and "failed"
// also name queues, which Spanish says in the plural (completadas); an event
// is one task (completada), so a kind looks for its "event …" entry first.
func kindText(c common.Common, kind string) string {
	if l := c.T("event " + kind); l != "event "+kind {
		return l
	}
	return c.T(kind)
}

// kindLabel fits a kind in its column without cutting a word: a label too long
// for a narrow pane drops its first word ("worker_stopped" is "stopped"; the
// worker column beside it names the worker).
func kindLabel(l string, w int) string {
	if ansi.StringWidth(l) <= w {
		return l
	}
	if i := strings.IndexAny(l, "_ "); i > 0 {
		return l[i+1:]
	}
	return l
}

// nameCell is the name column and its gap, or nothing when the name goes with
// the detail.
func nameCell(s string, w int) string {
	if w == 0 {
		return ""
	}
	return common.Fit(s, w) + " "
}

// styleParts styles the shown text (the parts joined by two spaces, maybe cut
// with …) part by part.
func styleParts(det []part, shown string) string {
	var b strings.Builder
	rest := shown
	for i, p := range det {
		if rest == "" {
			break
		}
		if i > 0 {
			if !strings.HasPrefix(rest, "  ") {
				break // the cut fell between two parts: only … is left
			}
			b.WriteString("  ")
			rest = rest[2:]
		}
		n := len(rest) // cut inside this part: the rest, with its …
		if strings.HasPrefix(rest, p.text) {
			n = len(p.text)
		}
		b.WriteString(p.style.Render(rest[:n]))
		rest = rest[n:]
	}
	return b.String() + rest
}
