package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/imgq/imgq/queue"
)

// DashPoint is the cost of one dashboard refresh (q.Stats) at one shape of queue.
type DashPoint struct {
	Pending         int64   `json:"pending"`
	Workers         int     `json:"workers"`
	CommandsPerCall float64 `json:"redis_commands_per_refresh"` // INFO commandstats delta, script-internal commands included
	RedisUSPerCall  float64 `json:"redis_us_per_refresh"`       // server time of the stats script (commandstats usec)
	P50MS           float64 `json:"p50_ms"`                     // client round trip
	P99MS           float64 `json:"p99_ms"`
	ClientCPUUS     float64 `json:"client_cpu_us_per_refresh"` // this process's CPU per refresh (fetch + decode)
	CPUAt4Hz        float64 `json:"cpu_percent_of_core_at_4hz"`
}

// EventsResult is the event pane's capacity.
type EventsResult struct {
	DrainEvents     int     `json:"drain_events"`
	DrainPerSec     float64 `json:"drain_events_per_sec"` // ReadEvents(after, 500, 1s) loop over a full stream
	PacedRate       int     `json:"paced_rate"`
	PacedSeconds    float64 `json:"paced_seconds"`
	PacedProduced   int     `json:"paced_produced"`
	PacedConsumed   int     `json:"paced_consumed"`
	PacedMaxLag     int     `json:"paced_max_lag"`
	PacedKeptUp     bool    `json:"paced_kept_up"`
	ConsumerCPUPerc float64 `json:"paced_consumer_cpu_percent"`
}

// DashReport is `imgq bench dash --json`.
type DashReport struct {
	Machine Machine      `json:"machine"`
	Points  []DashPoint  `json:"stats"`
	Events  EventsResult `json:"events"`
}

// dashStatsCost builds a queue with pending ids and workers registered (each
// holding one task, as busy workers do: the refresh reads their current task
// too), then times calls refreshes of q.Stats.
func dashStatsCost(ctx context.Context, rdb redis.UniversalClient, name string, pending int64, nworkers, calls int) (DashPoint, error) {
	p := DashPoint{Pending: pending, Workers: nworkers}
	q, err := queue.New(rdb, queue.Options{Name: name, WorkerTimeout: time.Hour})
	if err != nil {
		return p, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return p, err
	}
	if err := q.LoadScripts(ctx); err != nil {
		return p, err
	}
	for i := range nworkers {
		w := queue.WorkerInfo{ID: fmt.Sprintf("w%d", i), Instance: "bench", Host: "bench", PID: i, Concurrency: 1}
		if err := q.Register(ctx, w); err != nil {
			return p, err
		}
		if _, _, err := q.Enqueue(ctx, queue.NewTask{Name: "busy.jpg", Payload: []byte(`{}`)}); err != nil {
			return p, err
		}
		if _, err := q.Claim(ctx, w.ID, 1); err != nil {
			return p, err
		}
	}
	if err := fillIDs(ctx, rdb, q.Keys().Pending, pending); err != nil {
		return p, err
	}
	for range 20 { // warm up
		if _, err := q.Stats(ctx); err != nil {
			return p, err
		}
	}
	before, err := commandCalls(ctx, rdb)
	if err != nil {
		return p, err
	}
	us0 := evalUsec(ctx, rdb)
	cpu0 := SelfCPU()
	lat := make([]time.Duration, 0, calls)
	for range calls {
		t0 := time.Now()
		s, err := q.Stats(ctx)
		if err != nil {
			return p, err
		}
		lat = append(lat, time.Since(t0))
		if s.PendingTotal() != pending || len(s.Workers) != nworkers {
			return p, fmt.Errorf("stats saw %d pending, %d workers; want %d, %d", s.PendingTotal(), len(s.Workers), pending, nworkers)
		}
	}
	cpu1 := SelfCPU()
	us1 := evalUsec(ctx, rdb)
	after, err := commandCalls(ctx, rdb)
	if err != nil {
		return p, err
	}
	total, _ := commandDelta(before, after)
	p.CommandsPerCall = float64(total) / float64(calls)
	p.RedisUSPerCall = (us1 - us0) / float64(calls)
	p.P50MS, p.P99MS = MS(Percentile(lat, .5)), MS(Percentile(lat, .99))
	p.ClientCPUUS = float64((cpu1 - cpu0).Microseconds()) / float64(calls)
	p.CPUAt4Hz = 4 * p.ClientCPUUS / 1e6 * 100
	_, _ = q.Flush(ctx)
	return p, nil
}

// evalUsec is the server time spent in EVAL/EVALSHA so far.
func evalUsec(ctx context.Context, rdb redis.UniversalClient) float64 {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0
	}
	var us float64
	for _, line := range strings.Split(info, "\n") {
		if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
			for _, f := range strings.Split(strings.TrimSpace(line[strings.IndexByte(line, ':')+1:]), ",") {
				if v, ok := strings.CutPrefix(f, "usec="); ok {
					n, _ := strconv.ParseFloat(v, 64)
					us += n
				}
			}
		}
	}
	return us
}

// fillIDs pushes n synthetic ids onto a pending list, 1000 per RPUSH, pipelined.
// (Their task hashes do not exist: the refresh must never look at them.)
func fillIDs(ctx context.Context, rdb redis.UniversalClient, key string, n int64) error {
	const per, perPipe = 1000, 50
	var i int64
	for i < n {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := 0; k < perPipe && i < n; k++ {
				ids := make([]any, 0, per)
				for ; len(ids) < per && i < n; i++ {
					ids = append(ids, "task-fill"+strconv.FormatInt(i, 16))
				}
				p.RPush(ctx, key, ids...)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// eventCapacity measures how fast the event pane's read loop (ReadEvents with
// count 500, block 1s, as tui does) drains a full stream, and whether it keeps up
// with a producer pacing rate events/s for dur.
func eventCapacity(ctx context.Context, rdb redis.UniversalClient, name string, drain, rate int, dur time.Duration) (EventsResult, error) {
	r := EventsResult{DrainEvents: drain, PacedRate: rate, PacedSeconds: dur.Seconds()}
	q, err := queue.New(rdb, queue.Options{Name: name})
	if err != nil {
		return r, err
	}
	if _, err := q.Flush(ctx); err != nil {
		return r, err
	}
	key := q.Keys().Events
	if r.DrainPerSec, err = drainRate(ctx, q, key, drain); err != nil {
		return r, err
	}

	// Paced: a producer XADDs rate events/s (in 1 ms ticks, with the scripts' MAXLEN
	// cap), the consumer follows from "$".
	after, err := q.LastEventID(ctx)
	if err != nil {
		return r, err
	}
	produced := make(chan int, 1)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		n := 0
		start := time.Now()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for time.Since(start) < dur && pctx.Err() == nil {
			<-tick.C
			want := int(time.Since(start).Seconds() * float64(rate))
			if want > n {
				_, _ = rdb.Pipelined(pctx, func(p redis.Pipeliner) error {
					for ; n < want; n++ {
						p.XAdd(pctx, &redis.XAddArgs{Stream: key, MaxLen: 10000, Approx: true, Values: eventFields(n)})
					}
					return nil
				})
			}
		}
		produced <- n
	}()
	cpu0 := SelfCPU()
	start := time.Now()
	total := -1
	for {
		evs, err := q.ReadEvents(ctx, after, 500, 200*time.Millisecond)
		if err != nil {
			return r, err
		}
		r.PacedConsumed += len(evs)
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
		if total < 0 {
			select {
			case total = <-produced:
			default:
				want := int(time.Since(start).Seconds() * float64(rate))
				r.PacedMaxLag = max(r.PacedMaxLag, want-r.PacedConsumed)
			}
		}
		if total >= 0 && (r.PacedConsumed >= total || len(evs) == 0) {
			break
		}
	}
	cpu1 := SelfCPU()
	r.PacedProduced = total
	r.ConsumerCPUPerc = (cpu1 - cpu0).Seconds() / time.Since(start).Seconds() * 100 // producer included: an upper bound
	r.PacedKeptUp = r.PacedConsumed >= total && r.PacedMaxLag < rate/2
	_, _ = q.Flush(ctx)
	return r, nil
}

// drainRate writes a full stream of realistic "completed" events (uncapped),
// then times a ReadEvents(500, block 1s) loop reading all of them: events/s.
func drainRate(ctx context.Context, q *queue.Queue, key string, drain int) (float64, error) {
	rdb := q.Client()
	for i := 0; i < drain; i += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+1000, drain); j++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: eventFields(j)})
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	after, got := "0", 0
	t0 := time.Now()
	for got < drain {
		evs, err := q.ReadEvents(ctx, after, 500, time.Second)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return 0, fmt.Errorf("drain stopped at %d of %d", got, drain)
		}
		got += len(evs)
		after = evs[len(evs)-1].ID
	}
	return float64(drain) / time.Since(t0).Seconds(), nil
}

func eventFields(i int) []any {
	return []any{"kind", "completed", "task", "task-" + strconv.FormatInt(int64(i), 16), "name", "photo-0042.jpg",
		"worker", "ana", "dur_ms", "183", "attempt", "1"}
}

// DashOptions shape `imgq bench dash`.
type DashOptions struct {
	Queue    string  // base name; the runs use Queue+"-benchdash"
	Pending  []int64 // pending queue lengths to measure
	Workers  []int   // registered worker counts to measure
	Calls    int     // refreshes timed per point
	Drain    int     // events in the stream for the drain test
	Rate     int     // events/s the paced producer writes
	Duration time.Duration
	Progress io.Writer
}

// RunDash measures a dashboard refresh at every (pending, workers) point, then
// the event stream's capacity.
func RunDash(ctx context.Context, rdb redis.UniversalClient, o DashOptions) (DashReport, error) {
	rep := DashReport{Machine: DescribeMachine(ctx, rdb)}
	name := o.Queue + "-benchdash"
	bar := NewProgress(o.Progress, "dashboard refresh cost", int64(len(o.Pending)*len(o.Workers)))
	for _, pend := range o.Pending {
		for _, w := range o.Workers {
			p, err := dashStatsCost(ctx, rdb, name, pend, w, o.Calls)
			if err != nil {
				return rep, err
			}
			rep.Points = append(rep.Points, p)
			bar.Set(int64(len(rep.Points)))
		}
	}
	bar.Done()
	if o.Progress != nil {
		fmt.Fprintln(o.Progress, "event stream capacity...")
	}
	var err error
	rep.Events, err = eventCapacity(ctx, rdb, name, o.Drain, o.Rate, o.Duration)
	return rep, err
}

// WriteTable prints the report as the command's tables.
func (rep DashReport) WriteTable(w io.Writer) {
	writeMachine(w, rep.Machine)
	var rows [][]string
	for _, p := range rep.Points {
		rows = append(rows, []string{strconv.FormatInt(p.Pending, 10), strconv.Itoa(p.Workers),
			fmt.Sprintf("%.1f", p.CommandsPerCall), fmt.Sprintf("%.0f", p.RedisUSPerCall),
			fmt.Sprintf("%.3f", p.P50MS), fmt.Sprintf("%.3f", p.P99MS), fmt.Sprintf("%.0f", p.ClientCPUUS), fmt.Sprintf("%.2f%%", p.CPUAt4Hz)})
	}
	table(w, []string{"PENDING", "WORKERS", "CMDS/REFRESH", "REDIS µs", "P50 ms", "P99 ms", "CLIENT CPU µs", "CPU @4/s"}, rows)
	e := rep.Events
	fmt.Fprintf(w, "\nevents: drained %d in a ReadEvents(500, block 1s) loop at %.0f events/s (target 5,000/s)\n", e.DrainEvents, e.DrainPerSec)
	fmt.Fprintf(w, "events: paced %d/s for %.0fs: produced %d, consumed %d, max lag %d, kept up: %v, process CPU %.1f%% of a core (producer included)\n",
		e.PacedRate, e.PacedSeconds, e.PacedProduced, e.PacedConsumed, e.PacedMaxLag, e.PacedKeptUp, e.ConsumerCPUPerc)
}
