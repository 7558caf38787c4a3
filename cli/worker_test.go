package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `imgq worker -v` logs a line when it takes a task and one when it ends it.
func TestWorkerVerboseLogsEachTask(t *testing.T) {
	url, id := queueWithOneTask(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuf
	done := make(chan int)
	go func() {
		done <- Execute(ctx, []string{"worker", "-v", "--redis", url, "--id", "w1", "--output", t.TempDir()}, &out, &errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), `msg="task completed"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no per-task line:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	log := errOut.String()
	for _, want := range []string{`msg="task claimed" task=` + id + ` name=cat.jpg attempt=1`,
		`msg="task completed" task=` + id + ` name=cat.jpg attempt=1 ms=`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// queueWithOneTask starts a real redis-server with one small image task on the
// course's queue and returns its URL and the task's id.
func queueWithOneTask(t *testing.T) (url, id string) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	q, err := queue.New(srv.Client(t), queue.Options{Name: "image_processing"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := workers.SampleTask(pipeline.MustParse("grayscale"), 64, 48, 1, "cat.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Enqueue(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	return "redis://" + srv.Addr() + "/0", task.ID
}

// The first stop signal cancels; the same signal again within sameSignal (as
// timeout(1) delivers it) is the same stop; one later exits at once.
func TestStopSignalsTwinsAndSecond(t *testing.T) {
	sigs := make(chan os.Signal, 3)
	var errOut lockedBuf
	exits := make(chan int, 1)
	ctx, stop := watchStops(context.Background(), sigs, &globals{errOut: &errOut}, time.Second, func(code int) { exits <- code })
	defer stop()
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGTERM
	<-ctx.Done()
	select {
	case code := <-exits:
		t.Fatalf("twin signals exited with %d:\n%s", code, errOut.String())
	case <-time.After(2 * sameSignal):
	}
	sigs <- syscall.SIGINT
	select {
	case code := <-exits:
		if code != 1 || !strings.Contains(errOut.String(), "second signal") {
			t.Fatalf("second signal: exit %d\n%s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("a second signal %s after the first did not exit:\n%s", 2*sameSignal, errOut.String())
	}
}
