package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/imgq/imgq/internal/redisconn"
	"github.com/imgq/imgq/queue"
)

func TestFormatEventIsTerminalSafe(t *testing.T) {
	e := queue.Event{Time: time.Unix(0, 0), Kind: "failed", Task: "task-1", Name: "evil\x1b[2J.jpg",
		Worker: "w\x1b]0;pwned\x07", Error: "boom\x1b[31m red", Attempt: 2, Duration: 5 * time.Millisecond}
	line := FormatEvent(e)
	if strings.ContainsAny(line, "\x1b\x07") {
		t.Fatalf("escape reached the output: %q", line)
	}
	for _, want := range []string{"failed", "task-1", `"evil.jpg"`, "worker=w", "attempt=2", "took=5ms", `error="boom red"`} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}

func TestStatsJSONHasTheDocumentedFields(t *testing.T) {
	at := time.Unix(1764620000, 0)
	s := queue.Stats{At: at, Pending: 2, PendingHigh: 1, Processing: 3, Completed: 4, Failed: 5,
		Totals:  queue.Totals{Enqueued: 9},
		Workers: []queue.WorkerStat{{ID: "ana", Processed: 7, Failed: 1, State: queue.WorkerBusy}, {ID: "py-1", Observed: true}},
		Foreign: []queue.ForeignClaim{{ID: "task-old", Worker: "py-1", Since: at.Add(-90 * time.Second)}, {ID: "task-new", Worker: "py-1", Since: at.Add(-time.Second)}}}
	var buf bytes.Buffer
	if err := printStats(&buf, statsView{Stats: withOldest(s, 1500*time.Millisecond)}, true, time.Minute); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"pending": 3, "processing": 3, "completed": 4, "failed": 5, "oldest_pending_age_seconds": 1.5} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	ws := got["workers"].([]any)
	w := ws[0].(map[string]any)
	if w["id"] != "ana" || w["processed"] != 7.0 || w["failed"] != 1.0 || w["observed"] != false {
		t.Fatalf("worker %v", w)
	}
	if o := ws[1].(map[string]any); o["observed"] != true {
		t.Fatalf("observed worker %v", o)
	}
	// One naming style: the totals are snake_case like everything else.
	if tot := got["totals"].(map[string]any); tot["enqueued"] != 9.0 || tot["Enqueued"] != nil {
		t.Fatalf("totals %v", tot)
	}
	stuck := got["stuck"].([]any)
	if len(stuck) != 1 || stuck[0].(map[string]any)["id"] != "task-old" || stuck[0].(map[string]any)["seconds"] != 90.0 {
		t.Fatalf("stuck %v", stuck)
	}
}

func TestJoinLine(t *testing.T) {
	g := &globals{queueName: "image_processing"}
	if got := joinLine(g, &redisconn.Conn{}, nil, false); got != "" {
		t.Fatalf("without --share: %q", got)
	}
	emb := &redisconn.Conn{Embedded: &redisconn.EmbeddedServer{Addr: "127.0.0.1:6390"}}
	line := joinLine(g, emb, &shareOpts{bindAll: true, password: "pw123"}, true)
	if !strings.Contains(line, "imgq worker --redis redis://:pw123@") || !strings.Contains(line, ":6390/0 --queue image_processing") ||
		!strings.Contains(line, "redis-cli -h ") || strings.Contains(line, "127.0.0.1:6390") && lanIP() != "127.0.0.1" {
		t.Fatalf("embedded join line %q", line)
	}
	// A real Redis' password is never shown, even in classroom mode.
	g.redisURL = "redis://:topsecret@10.1.2.3:6379/2"
	line = joinLine(g, &redisconn.Conn{}, nil, true)
	if strings.Contains(line, "topsecret") || !strings.Contains(line, "redis://:PASSWORD@10.1.2.3:6379/2") {
		t.Fatalf("real redis join line %q", line)
	}
}

func TestUsageErrorsExitTwoAndBadURLsNeverLeak(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"stats", "--queue", "bad name"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "queue name") {
		t.Fatalf("bad queue name: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	code = Execute(context.Background(), []string{"stats", "--redis", "http://:hunter2@localhost:1/0"}, &out, &errOut)
	if code == 0 || strings.Contains(errOut.String(), "hunter2") || !strings.Contains(errOut.String(), "scheme") {
		t.Fatalf("bad scheme: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	code = Execute(context.Background(), []string{"enqueue", "--filters", "blurr:2", "--redis", "redis://127.0.0.1:1/0"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), `unknown filter "blurr"`) || !strings.Contains(errOut.String(), "valid:") {
		t.Fatalf("bad filter: exit %d, %q", code, errOut.String())
	}
}

func TestParseSize(t *testing.T) {
	if w, h, err := parseSize("640x480"); err != nil || w != 640 || h != 480 {
		t.Fatal(w, h, err)
	}
	for _, bad := range []string{"640", "0x10", "10x", "x", "20000x10", "axb"} {
		if _, _, err := parseSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFormatEventMarksObserved(t *testing.T) {
	e := queue.Event{Time: time.Unix(0, 0), Kind: "completed", Task: "task-1", Worker: "py-1", Duration: 19 * time.Millisecond, Observed: true}
	if line := FormatEvent(e); !strings.HasSuffix(line, " (observed)") {
		t.Fatalf("%q is not marked observed", line)
	}
	e.Observed = false
	if line := FormatEvent(e); strings.Contains(line, "observed") {
		t.Fatalf("%q is marked observed", line)
	}
}

func withOldest(s queue.Stats, d time.Duration) queue.Stats {
	s.OldestPending = d
	return s
}
