package workers_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
)

func TestLogTasksLogsEachTaskSafely(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := workers.LogTasks(func(ctx context.Context, t queue.Claimed) ([]byte, error) {
		if t.ID == "task-bad" {
			return nil, queue.Permanent(errors.New("corrupt\x1b[2J jpeg"))
		}
		return []byte("{}"), nil
	}, log)
	_, _ = h(context.Background(), queue.Claimed{ID: "task-ok", Name: "cat.jpg", Attempt: 1})
	_, _ = h(context.Background(), queue.Claimed{ID: "task-bad", Name: "evil\x1b]0;pwned\x07.jpg", Attempt: 2})
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Fatalf("an escape reached the log: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`msg="task claimed" task=task-ok name=cat.jpg attempt=1`,
		`msg="task completed" task=task-ok name=cat.jpg attempt=1 ms=`,
		`msg="task claimed" task=task-bad name=evil.jpg attempt=2`,
		`msg="task failed" task=task-bad name=evil.jpg attempt=2 ms=`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q lacks %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[3], `permanent=true error="corrupt jpeg"`) {
		t.Errorf("failed line %q", lines[3])
	}
}
