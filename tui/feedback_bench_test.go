package tui

import (
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers"
	"github.com/imgq/imgq/workers/pipeline"
)

// probeKey is a key press stamped with when it was sent to the program.
type probeKey struct {
	at  time.Time
	key tea.KeyPressMsg
}

// probe wraps the dashboard inside a real tea.Program and times, for each
// press of E, the first frame that shows the press and the first enqueued
// event of its batch that the dashboard's event stream brings back.
type probe struct {
	m       *Model
	at      time.Time // the press being timed
	framed  bool      // its status has been drawn
	evented bool      // its first event has arrived
	seen    int       // enqueued events seen since the start
	target  int       // enqueued events expected once the press's batch is in
	frame   chan time.Duration
	event   chan time.Duration
	done    chan struct{} // the batch's enqueued events are all in
}

func (p *probe) Init() tea.Cmd { return p.m.Init() }

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case probeKey:
		p.at, p.framed, p.evented = msg.at, false, false
		p.target += courseBatch
		_, cmd := p.m.Update(msg.key)
		return p, cmd
	case eventsMsg:
		n := 0
		for _, e := range msg.events {
			if e.Kind == queue.EventEnqueued {
				n++
			}
		}
		if n > 0 && p.target > 0 {
			p.seen += n
			if !p.evented {
				p.evented = true
				p.event <- time.Since(p.at)
			}
			if p.seen >= p.target {
				p.done <- struct{}{}
			}
		}
	}
	_, cmd := p.m.Update(msg)
	return p, cmd
}

func (p *probe) View() tea.View {
	v := p.m.View()
	if !p.framed && !p.at.IsZero() && strings.Contains(v.Content, "enqueu") {
		p.framed = true
		p.frame <- time.Since(p.at)
	}
	return v
}

// BenchmarkKeyToFirstEvent measures what a teacher waits for after pressing E
// on a dashboard with 16 embedded workers busy on the course's images: the
// first frame that shows the press, and the first event of the batch seen in
// the events pane. Run it with
//
//	go test ./tui/ -run '^$' -bench KeyToFirstEvent -benchtime 40x
//
// It reports p50 and p99 of both (ms); it asserts nothing about them.
func BenchmarkKeyToFirstEvent(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	q, err := queue.New(srv.Client(b), queue.Options{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := os.OpenRoot(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	h := &workers.ImageHandler{Queue: q, Output: out, Limits: pipeline.DefaultLimits()}
	pool := workers.NewPool(ctx, q, workers.Config{Handler: h.Handle, OnFailRate: h.SetFailRate})
	if err := pool.Scale(16); err != nil {
		b.Fatal(err)
	}
	samples := workers.SampleEnqueuer(q, pipeline.MustParse(workers.CourseFilters), 640, 480)
	var sends []time.Duration // how long each enqueue took, for comparison
	enqueue := func(ctx context.Context, n int) (int, error) {
		t0 := time.Now()
		defer func() { sends = append(sends, time.Since(t0)) }()
		return samples(ctx, n)
	}
	pctx, stop := context.WithCancel(ctx)
	m := newModel(pctx, Options{Queue: q, Workers: pool, Enqueue: enqueue, RedisAddr: srv.Addr()}, time.Now)
	pr := &probe{m: m, frame: make(chan time.Duration, 1), event: make(chan time.Duration, 1), done: make(chan struct{}, 1)}
	prog := tea.NewProgram(pr, tea.WithContext(pctx), tea.WithInput(nil), tea.WithOutput(io.Discard),
		tea.WithWindowSize(120, 36), tea.WithoutSignals())
	ran := make(chan struct{})
	go func() { defer close(ran); _, _ = prog.Run() }()

	var frames, events []time.Duration
	b.ResetTimer()
	for range b.N {
		prog.Send(probeKey{at: time.Now(), key: keyMsg("E")})
		frames = append(frames, wait(b, pr.frame))
		events = append(events, wait(b, pr.event))
		waitDone(b, pr.done)
	}
	b.StopTimer()

	stop()
	<-ran
	m.stopMonitor()
	m.mon.wait()
	cancel()
	pool.Wait()
	report(b, "frame", "key → first frame showing it", frames)
	report(b, "event", "key → first event of its batch", events)
	report(b, "enqueue", "the whole enqueue of 15", sends)
}

func wait(b *testing.B, ch <-chan time.Duration) time.Duration {
	select {
	case d := <-ch:
		return d
	case <-time.After(time.Minute):
		b.Fatal("no answer to the key press within a minute")
		return 0
	}
}

func waitDone(b *testing.B, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-time.After(time.Minute):
		b.Fatal("the batch's events did not all arrive within a minute")
	}
}

// report logs and reports p50 and p99 of ds in milliseconds.
func report(b *testing.B, unit, what string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(int(p*float64(len(ds))), len(ds)-1)] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(at(0.50)), unit+"-p50-ms")
	b.ReportMetric(ms(at(0.99)), unit+"-p99-ms")
	b.Logf("%s, %d presses: p50 %s, p99 %s, max %s", what, len(ds), at(0.50), at(0.99), ds[len(ds)-1])
}
