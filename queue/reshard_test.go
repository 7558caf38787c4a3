package queue

import (
	"context"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"
)

// On a Cluster every call of a queue script declares its slot's guard key
// last (KEYS keep their positions); other calls pass untouched.
func TestGuardedDeclaresTheSlotsGuardKey(t *testing.T) {
	ctx := context.Background()
	claim := claimScript.plain.Hash()
	g := guarded(ctx, redis.NewCmd(ctx, "evalsha", claim, 2, "{img}:pending", "{img}:processing", "w1", 5))
	want := []any{"evalsha", claim, 3, "{img}:pending", "{img}:processing", "{img}:reshard-guard", "w1", 5}
	if g == nil || !reflect.DeepEqual(g.Args(), want) {
		t.Fatalf("guarded evalsha: %v, want %v", g, want)
	}
	// Script.Run's fallback after NOSCRIPT sends the source: recognised by its SHA1.
	src := "return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) and 1 or 0\n"
	if ScriptName(housekeepLockScript.plain.Hash()) == "" || redis.NewScript(src).Hash() != housekeepLockScript.plain.Hash() {
		t.Fatal("the test's copy of the housekeeping lock script is out of date")
	}
	g = guarded(ctx, redis.NewCmd(ctx, "eval", src, 1, "{img.0}:housekeeper", 500))
	want = []any{"eval", src, 2, "{img.0}:housekeeper", "{img.0}:reshard-guard", 500}
	if g == nil || !reflect.DeepEqual(g.Args(), want) {
		t.Fatalf("guarded eval: %v, want %v", g, want)
	}
	for _, cmd := range []*redis.Cmd{
		redis.NewCmd(ctx, "evalsha", "0123456789abcdef0123456789abcdef01234567", 1, "{img}:pending"), // not the queue's
		redis.NewCmd(ctx, "evalsha", claim, 1, "image_processing:pending"),                           // no hash tag: not on a Cluster
		redis.NewCmd(ctx, "evalsha", claim, 0),                                                       // no key
		redis.NewCmd(ctx, "get", "{img}:pending"),
	} {
		if g := guarded(ctx, cmd); g != nil {
			t.Errorf("%v guarded as %v", cmd.Args(), g.Args())
		}
	}
}

func TestReshardGuardKey(t *testing.T) {
	for key, want := range map[string]string{
		"{img}:pending":             "{img}:reshard-guard",
		"{image_processing.2.12}:x": "{image_processing.2.12}:reshard-guard",
		"jobs{eu}:pending":          "jobs{eu}:reshard-guard",
		"jobs{eu}:task:t1":          "jobs{eu}:reshard-guard",
		"image_processing:pending":  "",
		"task:t1":                   "",
		"{}:pending":                "",
	} {
		if got := reshardGuard(key); got != want {
			t.Errorf("reshardGuard(%q) = %q, want %q", key, got, want)
		}
		if want != "" && KeySlot(want) != KeySlot(key) {
			t.Errorf("guard %q is not in the slot of %q", want, key)
		}
	}
}
