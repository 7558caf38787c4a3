package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/queue"
)

// Typed results of the commands below (gh-dash's pattern): every piece of I/O
// runs in a tea.Cmd and comes back to Update as one of these.
type (
	fetchMsg struct{} // time to read stats again
	statsMsg struct {
		stats   queue.Stats
		err     error
		retryAt time.Time // from a Feed: when its poller tries again after err
	}
	versionMsg struct {
		version string
		err     error
	}
	clockMsg  time.Time // once a second: uptime, countdowns, status expiry
	eventsMsg struct {
		events []queue.Event
		after  string // the id to read after next time
		err    error
	}
	eventsRetryMsg struct{}
	actionMsg      struct {
		text string
		err  error
	}
	// stuckRequeuedMsg is the outcome of the requeue-stuck key.
	stuckRequeuedMsg struct {
		n   int
		err error
	}
	failedListMsg struct {
		tasks []queue.TaskInfo
		err   error
	}
	taskMsg struct {
		task queue.TaskInfo
		err  error
	}
	monitorStartedMsg struct {
		gen   int
		lines <-chan string
		err   error
	}
	monitorLinesMsg struct {
		gen    int
		lines  []string
		closed bool
	}
)

// historyEvents is how many past events a new dashboard starts with.
const historyEvents = 200

// failedPage is how many dead letters the failed view lists.
const failedPage = 500

var errNoQueue = errors.New("no queue")

func scheduleFetch(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return fetchMsg{} })
}

func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return clockMsg(t) })
}

// fetchStats is the refresh: one round trip (the stats script), bounded so a
// hung server turns into "disconnected" instead of a frozen header.
func fetchStats(ctx context.Context, q *queue.Queue) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return statsMsg{err: errNoQueue}
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		s, err := q.Stats(ctx)
		return statsMsg{stats: s, err: err}
	}
}

func fetchVersion(ctx context.Context, q *queue.Queue) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return versionMsg{err: errNoQueue}
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		v, err := q.ServerVersion(ctx)
		return versionMsg{version: v, err: err}
	}
}

// readEvents returns one batch of the stream. With after == "" it loads the
// recent history and the id to follow from; otherwise it blocks up to a second
// for what comes after. Update re-issues it on every result, so exactly one
// read is in flight.
func readEvents(ctx context.Context, q *queue.Queue, after string) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return eventsMsg{err: errNoQueue}
		}
		if after == "" {
			evs, err := q.LastEvents(ctx, historyEvents)
			if err != nil {
				return eventsMsg{err: err}
			}
			last := "0"
			if len(evs) > 0 {
				last = evs[len(evs)-1].ID
			}
			return eventsMsg{events: evs, after: last}
		}
		evs, err := q.ReadEvents(ctx, after, 500, time.Second)
		if err != nil {
			return eventsMsg{err: err, after: after}
		}
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
		return eventsMsg{events: evs, after: after}
	}
}

func retryEvents(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return eventsRetryMsg{} })
}

// action runs one operator action off the UI goroutine and reports its outcome.
func action(ctx context.Context, f func(ctx context.Context) (string, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		text, err := f(ctx)
		return actionMsg{text: text, err: err}
	}
}

// requeueStuck does the course's stuck-task fix (HDEL processing, RPUSH
// pending) for claims of workers imgq cannot see that are older than the
// queue's StuckAfter.
func requeueStuck(ctx context.Context, q *queue.Queue) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return stuckRequeuedMsg{err: errNoQueue}
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		n, err := q.RequeueStuck(ctx, 0)
		return stuckRequeuedMsg{n: n, err: err}
	}
}

func fetchFailed(ctx context.Context, q *queue.Queue) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return failedListMsg{err: errNoQueue}
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ts, err := q.FailedTasks(ctx, 0, failedPage)
		return failedListMsg{tasks: ts, err: err}
	}
}

func fetchTask(ctx context.Context, q *queue.Queue, id string) tea.Cmd {
	return func() tea.Msg {
		if q == nil {
			return taskMsg{err: errNoQueue}
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		t, err := q.Task(ctx, id)
		return taskMsg{task: t, err: err}
	}
}

// startMonitor opens the MONITOR feed for generation gen.
func startMonitor(ctx context.Context, open func(context.Context) (<-chan string, error), gen int) tea.Cmd {
	return func() tea.Msg {
		if open == nil {
			return monitorStartedMsg{gen: gen, err: errors.New("no MONITOR source")}
		}
		ch, err := open(ctx)
		return monitorStartedMsg{gen: gen, lines: ch, err: err}
	}
}

// waitMonitor blocks for the next MONITOR line, then takes whatever else is
// already waiting (up to a batch), so a burst costs one Update, not thousands.
// Lines arrive bounded by redisconn.Monitor (redisconn.MaxMonitorLine).
func waitMonitor(ch <-chan string, gen int) tea.Cmd {
	return func() tea.Msg {
		l, ok := <-ch
		if !ok {
			return monitorLinesMsg{gen: gen, closed: true}
		}
		lines := []string{l}
		for len(lines) < 2000 {
			select {
			case l, ok := <-ch:
				if !ok {
					return monitorLinesMsg{gen: gen, lines: lines, closed: true}
				}
				lines = append(lines, l)
			default:
				return monitorLinesMsg{gen: gen, lines: lines}
			}
		}
		return monitorLinesMsg{gen: gen, lines: lines}
	}
}
