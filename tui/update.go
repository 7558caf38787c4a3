package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/tui/common"
	"github.com/imgq/imgq/tui/components/failed"
	"github.com/imgq/imgq/tui/components/header"
)

// courseBatch is the course's distributed demo: 15 tasks.
const courseBatch = 15

// failRate is the failure injection the x key switches on (the course's 20%).
const failRate = 0.2

// maxBackoff caps the wait between reconnection attempts.
const maxBackoff = 8 * time.Second

// Update is the only place state changes. It never does I/O: it returns
// commands that do.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	rows := m.footer.Height()
	cmd := m.update(msg)
	m.syncSwitches(msg)
	// An action's result takes a line above the keys while it shows: the
	// panes give it back when it expires.
	if m.footer.Expire(); m.footer.Height() != rows {
		m.layout()
	}
	m.header.SetInfo(m.switchInfo(m.headerInfo()))
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		return nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.BackgroundColorMsg:
		m.setBackground(msg.IsDark())
		return nil
	case tea.PasteMsg:
		if m.footer.Prompting() {
			m.footer = m.footer.UpdateInput(msg)
		}
		return nil
	case fetchMsg:
		return fetchStats(m.ctx, m.opts.Queue)
	case statsMsg:
		return m.onStats(msg)
	case versionMsg:
		if msg.err == nil {
			m.version = msg.version
		}
		return nil
	case clockMsg:
		return clockTick()
	case eventsMsg:
		return m.onEvents(msg)
	case eventsRetryMsg:
		return readEvents(m.ctx, m.opts.Queue, m.after)
	case actionMsg:
		if msg.err != nil {
			m.footer.SetStatus(msg.err.Error(), true)
		} else if msg.text != "" {
			m.footer.SetStatus(msg.text, false)
		}
		if m.view == viewFailed {
			return fetchFailed(m.ctx, m.opts.Queue)
		}
		return nil
	case switchMsg:
		return m.onSwitch(msg)
	case stuckRequeuedMsg:
		if msg.err != nil {
			m.footer.SetStatus(common.Clean(msg.err.Error()), true)
			return nil
		}
		m.footer.SetStatus(fmt.Sprintf(m.c.T("requeued %d stuck task(s)"), msg.n), false)
		return nil
	case failedListMsg:
		m.failed.SetTasks(msg.tasks, m.track.Last.Failed, msg.err)
		return nil
	case failed.RequeueMsg:
		if m.opts.ReadOnly {
			return nil // a viewer's failed view cannot requeue (its keys are locked too)
		}
		return m.requeue(msg.IDs)
	case feedMsg:
		return m.onFeed(msg)
	case topologyMsg:
		return m.onTopology(msg)
	case failed.OpenMsg:
		return m.openDetail(msg.ID)
	case taskMsg:
		m.detail.SetTask(msg.task, msg.err)
		return nil
	case monitorStartedMsg:
		return m.onMonitorStarted(msg)
	case monitorLinesMsg:
		if msg.gen != m.mon.gen || !m.mon.on {
			return nil // a feed already switched off
		}
		m.events.SetMonitorWorkers(m.track.Last.Workers) // who shares a process
		m.events.AddMonitor(msg.lines, 0)
		if msg.closed {
			m.events.SetMonitorNote(m.c.T("MONITOR ended: the connection closed (press m twice to restart)"))
			return nil
		}
		return waitMonitor(m.mon.lines, msg.gen)
	}
	return nil
}

func (m *Model) onStats(msg statsMsg) tea.Cmd {
	now := m.c.Now()
	if msg.err != nil {
		if errors.Is(msg.err, context.Canceled) {
			return nil // shutting down
		}
		if errors.Is(msg.err, queue.ErrLayout) {
			return m.onClash(msg.err, now)
		}
		m.conn = header.Disconnected
		m.backoff = min(max(m.backoff*2, 500*time.Millisecond), maxBackoff)
		m.retryAt = now.Add(m.backoff)
		if !msg.retryAt.IsZero() {
			m.retryAt = msg.retryAt // the feed's poller keeps its own backoff
		}
		m.needInfo = true
		return m.nextFetch(m.backoff)
	}
	m.conn, m.backoff, m.lastOK = header.Connected, 0, now
	m.clash = ""
	prevFailed := m.track.Last.Failed
	m.track.Observe(msg.stats)
	m.workers.Refresh()
	m.layout() // the workers pane grows with the class
	cmds := []tea.Cmd{m.nextFetch(m.opts.Interval)}
	if m.needInfo {
		m.needInfo = false
		cmds = append(cmds, fetchVersion(m.ctx, m.opts.Queue))
	}
	if m.view == viewFailed && msg.stats.Failed != prevFailed {
		cmds = append(cmds, fetchFailed(m.ctx, m.opts.Queue))
	}
	return tea.Batch(cmds...)
}

// onClash shows a key of the wrong type as what it is: Redis answered, the
// layout is not imgq's. The explanation (which key, its type, what imgq expects,
// the fix) goes under the header; the refresh keeps polling, at most once a
// second, until the key is fixed.
func (m *Model) onClash(err error, now time.Time) tea.Cmd {
	text := err.Error()
	if le, ok := errors.AsType[*queue.LayoutError](err); ok {
		text = le.Error()
	}
	m.conn, m.backoff, m.lastOK, m.retryAt = header.Clash, 0, now, time.Time{}
	m.clash = common.Clean(text)
	m.layout() // the explanation takes rows from the body
	cmds := []tea.Cmd{m.nextFetch(max(m.opts.Interval, time.Second))}
	if m.needInfo {
		m.needInfo = false
		cmds = append(cmds, fetchVersion(m.ctx, m.opts.Queue))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, context.Canceled) || m.ctx.Err() != nil {
			return nil
		}
		m.evBackoff = min(max(m.evBackoff*2, 500*time.Millisecond), maxBackoff)
		if msg.after != "" {
			m.after = msg.after
		}
		return retryEvents(m.evBackoff)
	}
	m.evBackoff = 0
	m.after = msg.after
	m.events.Add(msg.events)
	return readEvents(m.ctx, m.opts.Queue, m.after)
}

// onKey routes a key: the prompt and a pending question take every key first,
// then global keys, then the current view.
func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	keys := m.c.Keys
	if k.String() == "ctrl+c" {
		return m.quit()
	}
	if m.footer.Prompting() {
		switch k.String() {
		case "enter":
			if id := m.footer.ClosePrompt(); id != "" {
				m.back = m.view
				if m.back == viewDetail || m.back == viewHelp || m.back == viewJoin {
					m.back = viewMain
				}
				return m.openDetail(id)
			}
		case "esc":
			m.footer.ClosePrompt()
		default:
			m.footer = m.footer.UpdateInput(k)
		}
		return nil
	}
	if m.locked(k) {
		return nil
	}
	if m.footer.Asking() {
		m.footer.Answered()
		what := m.confirm
		m.confirm = ""
		if key.Matches(k, keys.Yes) && what == "flush" {
			return m.flush()
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Quit):
		return m.quit()
	case key.Matches(k, keys.Help):
		if m.view == viewHelp {
			m.view = viewMain
		} else {
			m.view = viewHelp
		}
		return nil
	case key.Matches(k, keys.Find):
		m.footer.OpenPrompt()
		return nil
	}
	switch m.view {
	case viewHelp, viewJoin:
		m.view = viewMain // any key closes them
		return nil
	case viewFailed:
		if key.Matches(k, keys.Back) {
			m.view = viewMain
			return nil
		}
		var cmd tea.Cmd
		m.failed, cmd = m.failed.Update(k)
		return cmd
	case viewDetail:
		if key.Matches(k, keys.Back) {
			m.view = m.back
			return nil
		}
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(k)
		return cmd
	}
	return m.mainKey(k)
}

func (m *Model) mainKey(k tea.KeyPressMsg) tea.Cmd {
	keys := m.c.Keys
	switch {
	case key.Matches(k, keys.Enqueue):
		return m.enqueue(1)
	case key.Matches(k, keys.Batch):
		return m.enqueue(courseBatch)
	case key.Matches(k, keys.Flush):
		name := ""
		if m.opts.Queue != nil {
			name = m.opts.Queue.Name()
		}
		m.confirm = "flush"
		m.footer.Ask(fmt.Sprintf(m.c.T("Flush queue %s? Every task and counter is deleted. y/n"), name))
		return nil
	case key.Matches(k, keys.ScaleUp):
		return m.scale(1)
	case key.Matches(k, keys.ScaleDown):
		return m.scale(-1)
	case key.Matches(k, keys.Pause):
		return m.pause()
	case key.Matches(k, keys.FailInject):
		return m.toggleFail()
	case key.Matches(k, keys.PaceUp):
		return m.stepPace(1)
	case key.Matches(k, keys.PaceDown):
		return m.stepPace(-1)
	case key.Matches(k, keys.Requeue):
		return m.requeue(nil)
	case key.Matches(k, keys.RequeueStuck):
		m.footer.SetStatus(m.c.T("requeuing stuck tasks…"), false)
		return requeueStuck(m.ctx, m.opts.Queue)
	case key.Matches(k, keys.Monitor):
		return m.toggleMonitor()
	case key.Matches(k, keys.Failed):
		m.view = viewFailed
		return fetchFailed(m.ctx, m.opts.Queue)
	case key.Matches(k, keys.Join):
		if m.opts.JoinLine != "" {
			m.view = viewJoin
		}
		return nil
	case key.Matches(k, keys.Focus):
		m.setFocus((m.focus + 1) % numPanes)
		return nil
	case key.Matches(k, keys.FocusBack):
		m.setFocus((m.focus + numPanes - 1) % numPanes)
		return nil
	case key.Matches(k, keys.Sort, keys.Leaderboard):
		m.workers, _ = m.workers.Update(k)
		m.layout()
		return nil
	case key.Matches(k, keys.OwnReads):
		m.events, _ = m.events.Update(k)
		return nil
	}
	var cmd tea.Cmd
	if m.focus == paneWorkers {
		m.workers, cmd = m.workers.Update(k)
	} else {
		m.events, cmd = m.events.Update(k)
	}
	return cmd
}

func (m *Model) enqueue(n int) tea.Cmd {
	if m.opts.Enqueue == nil {
		m.footer.SetStatus(m.c.T("enqueue is not available"), true)
		return nil
	}
	enq, t := m.opts.Enqueue, m.c.T("enqueued %d tasks")
	// Said at once: under load the images take a while to make and send.
	m.footer.SetStatus(fmt.Sprintf(m.c.T("enqueuing %d tasks…"), n), false)
	return action(m.ctx, func(ctx context.Context) (string, error) {
		got, err := enq(ctx, n)
		if err != nil {
			return "", fmt.Errorf("enqueue: %w", err)
		}
		return fmt.Sprintf(t, got), nil
	})
}

func (m *Model) flush() tea.Cmd {
	q, t := m.opts.Queue, m.c.T("flushed %s (%d keys)")
	if q == nil {
		return nil
	}
	m.footer.SetStatus(fmt.Sprintf(m.c.T("flushing %s…"), q.Name()), false)
	return action(m.ctx, func(ctx context.Context) (string, error) {
		n, err := q.Flush(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf(t, q.Name(), n), nil
	})
}

func (m *Model) requeue(ids []string) tea.Cmd {
	q, t := m.opts.Queue, m.c.T("requeued %d tasks")
	if q == nil {
		return nil
	}
	m.footer.SetStatus(m.c.T("requeuing…"), false)
	return action(m.ctx, func(ctx context.Context) (string, error) {
		var n int
		var err error
		if ids == nil {
			n, err = q.RequeueAll(ctx)
		} else {
			n, err = q.Requeue(ctx, ids...)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf(t, n), nil
	})
}

func (m *Model) openDetail(id string) tea.Cmd {
	if m.view != viewDetail {
		m.back = m.view
	}
	m.view = viewDetail
	m.detail.SetLoading(id)
	return fetchTask(m.ctx, m.opts.Queue, id)
}

func (m *Model) toggleMonitor() tea.Cmd {
	if m.mon.on {
		m.stopMonitor()
		m.events.SetMonitor(false, "")
		return nil
	}
	m.mon.on = true
	m.mon.gen++
	ctx, cancel := context.WithCancel(m.ctx)
	m.mon.cancel = cancel
	m.events.SetMonitor(true, m.c.T("starting MONITOR…"))
	m.setFocus(paneEvents)
	return startMonitor(ctx, m.openMonitor, m.mon.gen)
}

func (m *Model) onMonitorStarted(msg monitorStartedMsg) tea.Cmd {
	if msg.gen != m.mon.gen || !m.mon.on {
		return nil
	}
	if msg.err != nil {
		note := fmt.Sprintf(m.c.T("MONITOR is not available: %s"), msg.err.Error())
		if m.opts.Embedded {
			note = m.c.T("the embedded Redis does not support MONITOR; run with --redis redis://… to see commands")
		}
		m.events.SetMonitorNote(note)
		return nil
	}
	m.mon.lines = msg.lines
	m.events.SetMonitorNote(m.c.T("MONITOR: every command the Redis server runs"))
	return waitMonitor(msg.lines, msg.gen)
}
