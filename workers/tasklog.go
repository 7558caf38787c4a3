package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/imgq/imgq/internal/safetext"
	"github.com/imgq/imgq/queue"
)

// LogTasks wraps h so each task logs at Info level (what `imgq worker -v`
// shows): one line when the worker starts it (claimed) and one when its handler
// ends (completed, failed or interrupted), with the task's id, name, attempt
// and how long it took in ms. Names and errors are untrusted: they are cleaned
// of escape sequences and cut (safetext) before they reach the terminal.
func LogTasks(h Handler, log *slog.Logger) Handler {
	return func(ctx context.Context, t queue.Claimed) ([]byte, error) {
		name := safetext.Truncate(t.Name, 80)
		id := safetext.Truncate(t.ID, 80)
		log.Info("task claimed", "task", id, "name", name, "attempt", t.Attempt)
		start := time.Now()
		out, err := h(ctx, t)
		ms := time.Since(start).Milliseconds()
		switch {
		case err == nil:
			log.Info("task completed", "task", id, "name", name, "attempt", t.Attempt, "ms", ms)
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			log.Info("task interrupted", "task", id, "name", name, "attempt", t.Attempt, "ms", ms, "why", safetext.Truncate(err.Error(), 300))
		default:
			log.Info("task failed", "task", id, "name", name, "attempt", t.Attempt, "ms", ms,
				"permanent", queue.IsPermanent(err), "error", safetext.Truncate(err.Error(), 300))
		}
		return out, err
	}
}
