package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/imgq/imgq/internal/redistest"
	"github.com/imgq/imgq/queue"
)

// imgq runs the CLI in-process and returns what it printed; it fails the
// test on a non-zero exit.
func imgq(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Execute(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("imgq %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// A sharded queue's stats: the usual lines are the sums, a table under them
// gives each shard's part (named and slotted as queue.ShardNames makes them,
// in shard order), and --json lists the same under "shards". An unsharded
// queue on the same Redis prints neither.
func TestStatsShowsEachShard(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	sharded := []string{"--redis", srv.URL(), "--shards", "3"}
	imgq(t, append(sharded, "enqueue", "--count", "30", "--size", "8x8")...)

	var j statsJSON
	if err := json.Unmarshal([]byte(imgq(t, append(sharded, "stats", "--json")...)), &j); err != nil {
		t.Fatal(err)
	}
	names, _ := queue.ShardNames(queue.DefaultName, 3)
	if len(j.Shards) != 3 {
		t.Fatalf("--json shards: %+v", j.Shards)
	}
	var sum int64
	for i, s := range j.Shards {
		if s.Name != names[i] || s.Slot != queue.KeySlot(names[i]) || s.Processing != 0 || s.Completed != 0 {
			t.Errorf("shard %d: %+v, want %s in slot %d", i, s, names[i], queue.KeySlot(names[i]))
		}
		if s.Pending == 0 {
			t.Errorf("shard %d holds none of 30 tasks: enqueue does not spread them", i)
		}
		sum += s.Pending
	}
	if j.Pending != 30 || sum != 30 {
		t.Fatalf("pending %d, shards' sum %d, want 30", j.Pending, sum)
	}

	text := imgq(t, append(sharded, "stats")...)
	if !strings.Contains(text, "\nShards   3 sub-queues, each in its own slot\n") ||
		!regexp.MustCompile(`(?m)^SHARD +SLOT +PENDING +PROCESSING +RETRY +COMPLETED +FAILED$`).MatchString(text) {
		t.Fatalf("no shard table:\n%s", text)
	}
	totals := strings.Index(text, "\nTotals ")
	for i, s := range j.Shards {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(s.Name) + ` +` + strconv.Itoa(s.Slot) + ` +(\d+) +0 +0 +0 +0$`)
		at := row.FindStringSubmatchIndex(text)
		if at == nil || at[0] < totals || text[at[2]:at[3]] != strconv.FormatInt(s.Pending, 10) {
			t.Fatalf("shard %d's row (%s, %d pending) is not under the totals:\n%s", i, s.Name, s.Pending, text)
		}
	}

	plain := []string{"--redis", srv.URL(), "--queue", "plain"}
	imgq(t, append(plain, "enqueue", "--count", "2", "--size", "8x8")...)
	if out := imgq(t, append(plain, "stats")...); strings.Contains(out, "Shards") || strings.Contains(out, "SHARD") {
		t.Fatalf("an unsharded queue's stats show shards:\n%s", out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(imgq(t, append(plain, "stats", "--json")...)), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["shards"]; ok || raw["pending"] != 2.0 {
		t.Fatalf("an unsharded queue's JSON: %v", raw)
	}
}
