package events

import (
	"fmt"
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
