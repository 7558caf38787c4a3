package redisconn

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keysOf is the arguments marked as keys.
func keysOf(l MonitorLine) []string {
	var ks []string
	for _, a := range l.Args {
		if a.Key {
			ks = append(ks, a.Text)
		}
	}
	return ks
}

// Lines as redis-server 7 printed them while an imgq worker, the course's
// Python worker and producer ran (testdata/monitor.txt has the rest).
func TestParseMonitorLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, client, cmd string
		keys                    []string
		nargs                   int
	}{
		{"course claim, blocking pop", `1796166592.498010 [0 127.0.0.1:56930] "BRPOP" "image_processing:pending:high" "image_processing:pending" "image_processing:pending:low" "1"`,
			"127.0.0.1:56930", "BRPOP", []string{"image_processing:pending:high", "image_processing:pending", "image_processing:pending:low"}, 4},
		{"go-redis lower case", `1796166591.684983 [0 127.0.0.1:56902] "blpop" "image_processing:signal" "1"`,
			"127.0.0.1:56902", "BLPOP", []string{"image_processing:signal"}, 2},
		{"move inside a script", `1796166591.675404 [0 lua] "LMOVE" "image_processing:pending" "image_processing:processing" "LEFT" "RIGHT"`,
			"lua", "LMOVE", []string{"image_processing:pending", "image_processing:processing"}, 4},
		{"course record update", `1796166595.396871 [0 127.0.0.1:56930] "HSET" "task:task-2c3b04490855acca" "status" "processing" "worker_id" "py-bob" "started_at" "1796166595.3908136"`,
			"127.0.0.1:56930", "HSET", []string{"task:task-2c3b04490855acca"}, 7},
		{"evalsha: numkeys says which", `1796166591.656779 [0 127.0.0.1:56902] "evalsha" "a765d56af7ca5652262588b15ffb96c339333a20" "4" "image_processing:workers" "image_processing:worker:ana" "image_processing:leases" "image_processing:config" "ana" "cc546748153a" "30000" "task:" "idle" "0"`,
			"127.0.0.1:56902", "EVALSHA", []string{"image_processing:workers", "image_processing:worker:ana", "image_processing:leases", "image_processing:config"}, 12},
		{"eval with no keys", `1796166591.473163 [0 127.0.0.1:56902] "eval" "#!lua flags=allow-oom\nreturn 1" "0"`,
			"127.0.0.1:56902", "EVAL", nil, 2},
		{"stream append in a script", `1796166591.631525 [0 lua] "XADD" "image_processing:events" "MAXLEN" "~" "10000" "*" "kind" "worker_up" "worker" "ana" "name" "vm pid 17706"`,
			"lua", "XADD", []string{"image_processing:events"}, 11},
		{"xread: keys after STREAMS", `1796166591.7 [0 127.0.0.1:1] "xread" "COUNT" "100" "BLOCK" "5000" "STREAMS" "image_processing:events" "1796166591630-0"`,
			"127.0.0.1:1", "XREAD", []string{"image_processing:events"}, 7},
		{"time has no key", `1796166591.630850 [0 lua] "TIME"`, "lua", "TIME", nil, 0},
		{"del: all keys", `1796166591.7 [0 127.0.0.1:1] "DEL" "a" "b" "c"`, "127.0.0.1:1", "DEL", []string{"a", "b", "c"}, 3},
		{"unix socket client", `1796166591.7 [0 unix:/run/redis.sock] "LLEN" "q"`, "unix:/run/redis.sock", "LLEN", []string{"q"}, 1},
		{"ipv6 client", `1796166591.7 [3 [::1]:6000] "GET" "k"`, "[::1]:6000", "GET", []string{"k"}, 1},
		{"mset: every other", `1796166591.7 [0 127.0.0.1:1] "MSET" "a" "1" "b" "2"`, "127.0.0.1:1", "MSET", []string{"a", "b"}, 4},
		{"zunionstore: dest and numkeys", `1796166591.7 [0 127.0.0.1:1] "ZUNIONSTORE" "d" "2" "a" "b" "WEIGHTS" "1" "2"`, "127.0.0.1:1", "ZUNIONSTORE", []string{"d", "a", "b"}, 7},
		{"publish: the channel", `1796166591.7 [0 127.0.0.1:1] "PUBLISH" "news" "hello"`, "127.0.0.1:1", "PUBLISH", []string{"news"}, 2},
		{"client list: none", `1796166591.7 [0 127.0.0.1:1] "client" "list"`, "127.0.0.1:1", "CLIENT", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := ParseMonitorLine(tc.line)
			if !ok {
				t.Fatalf("not parsed: %s", tc.line)
			}
			if l.Client != tc.client || l.Cmd != tc.cmd || len(l.Args) != tc.nargs {
				t.Fatalf("client %q cmd %q %d args, want %q %q %d", l.Client, l.Cmd, len(l.Args), tc.client, tc.cmd, tc.nargs)
			}
			if got := keysOf(l); !slices.Equal(got, tc.keys) {
				t.Fatalf("keys %q, want %q", got, tc.keys)
			}
			if l.Script() != (tc.client == "lua") {
				t.Fatal("Script() wrong")
			}
		})
	}
}

func TestParseMonitorStampAndEscapes(t *testing.T) {
	l, ok := ParseMonitorLine(`1796166595.344954 [0 lua] "SET" "image_processing:blob:t1" "\xff\xd8\"a\\b\n"`)
	if !ok {
		t.Fatal("not parsed")
	}
	if want := time.Unix(1796166595, 344954000); !l.Time.Equal(want) {
		t.Fatalf("time %v, want %v", l.Time, want)
	}
	v := l.Args[1]
	if v.Text != `\xff\xd8\"a\\b\n` || v.Size != 7 {
		t.Fatalf("value %q size %d, want the escaped text and 7 bytes", v.Text, v.Size)
	}
}

// A line the feed cut at MaxMonitorLine keeps its keys; the value it was cut
// in says so, with about how big it was.
func TestParseMonitorCutLine(t *testing.T) {
	full := `1796166595.344954 [0 lua] "SET" "image_processing:blob:t1" "` + strings.Repeat("x", 5000) + `"`
	r := bufio.NewReader(strings.NewReader("+" + full + "\r\n"))
	raw, err := readLine(r, MaxMonitorLine)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := ParseMonitorLine(strings.TrimPrefix(raw, "+")) // as Monitor hands it on
	if !ok || len(l.Args) != 2 || !l.Args[0].Key || l.Args[0].Text != "image_processing:blob:t1" {
		t.Fatalf("cut line parsed as %+v (ok %v)", l, ok)
	}
	if v := l.Args[1]; !v.Cut || v.Size != 5000 {
		t.Fatalf("cut value: cut %v size %d, want true 5000", v.Cut, v.Size)
	}
}

func TestParseMonitorOddLines(t *testing.T) {
	for _, s := range []string{"OK", "", "123", "1796166591.7 0 lua LLEN", "x.y [0 lua] \"GET\" \"k\"", "1796166591.7 [0 lua] "} {
		if l, ok := ParseMonitorLine(s); ok {
			t.Errorf("%q parsed as %+v", s, l)
		}
	}
	l, ok := ParseMonitorLine(droppedLine(80))
	if !ok || l.Dropped != 80 {
		t.Fatalf("the dropped marker read as %+v %v", l, ok)
	}
}

// Every line of a real capture parses; every script call's keys are its
// numkeys; every command a script runs, but TIME, names its key first.
func TestParseMonitorCapture(t *testing.T) {
	b, err := os.ReadFile("testdata/monitor.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\n")
		l, ok := ParseMonitorLine(line)
		if !ok {
			t.Fatalf("not parsed: %.200s", line)
		}
		n++
		switch {
		case l.Cmd == "EVALSHA":
			if got, want := len(keysOf(l)), l.Args[1].Text; want != strconv.Itoa(got) {
				t.Errorf("%d keys for numkeys %s: %.200s", got, want, line)
			}
		case l.Script() && l.Cmd != "TIME":
			if len(l.Args) == 0 || !l.Args[0].Key {
				t.Errorf("first argument not a key: %.200s", line)
			}
		}
		for _, a := range l.Args {
			if a.Key && (a.Cut || strings.ContainsAny(a.Text, "\x00\x1b\r\n")) {
				t.Errorf("key %q cut or raw: %.200s", a.Text, line)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d lines in the capture", n)
	}
}
