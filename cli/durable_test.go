package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redistest"
)

// --durable reaches the queue's options, and is refused with --cluster, where
// WAIT could go to a node that did not take the write.
func TestDurableFlag(t *testing.T) {
	g := &globals{}
	root := newRoot(g)
	if err := root.ParseFlags([]string{"--durable", "--durable-timeout", "250ms"}); err != nil {
		t.Fatal(err)
	}
	if o := g.queueOptions(); !o.Durable || o.DurableTimeout.Milliseconds() != 250 {
		t.Fatalf("queue options %+v: --durable not passed on", o)
	}
	var out bytes.Buffer
	code := Execute(context.Background(), []string{"--durable", "--cluster", "--queue", "{q}", "--redis", "redis://127.0.0.1:1/0", "stats"}, &out, &out)
	if code != 2 || !strings.Contains(out.String(), "--durable does not work with --cluster") {
		t.Fatalf("--durable --cluster: exit %d\n%s", code, out.String())
	}
}

// A redis+sentinel:// URL whose Sentinels do not answer is said plainly,
// without the password.
func TestSentinelURLUnreachable(t *testing.T) {
	port := redistest.FreePort(t)
	var out bytes.Buffer
	url := "redis+sentinel://:hunter2@127.0.0.1:" + strconv.Itoa(port) + "/mymaster"
	code := Execute(context.Background(), []string{"--redis", url, "stats"}, &out, &out)
	if code == 0 || !strings.Contains(out.String(), "no Sentinel answers") || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("unreachable sentinel: exit %d\n%s", code, out.String())
	}
}
