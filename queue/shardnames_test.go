package queue

import (
	"context"
	"testing"

	"github.com/imgq/imgq/internal/redistest"
)

// KeySlot agrees with a real cluster-mode redis-server's CLUSTER KEYSLOT, and
// every shard name lands in the middle half of its equal slot range.
func TestShardNamesSpreadOverSlotRanges(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}})
	c := srv.Client(t)
	ctx := context.Background()
	for _, key := range []string{"image_processing:pending", "{img}:pending", "a{b}c", "{}x", "foo{}{bar}", "x{y"} {
		want, err := c.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
		}
		if got := KeySlot(key); int64(got) != want {
			t.Errorf("KeySlot(%q) = %d, redis says %d", key, got, want)
		}
	}
	for _, n := range []int{1, 2, 3, 8, MaxShards} {
		names, err := ShardNames("image_processing", n)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i, name := range names {
			if !HasHashTag(name) || seen[name] {
				t.Fatalf("shard %d of %d: %q (tagged, unique)", i, n, name)
			}
			seen[name] = true
			slot, err := c.ClusterKeySlot(ctx, NewKeys(name).Pending).Result()
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
			if int(slot) < lo || int(slot) >= hi {
				t.Errorf("shard %d of %d (%s) in slot %d, outside [%d, %d)", i, n, name, slot, lo, hi)
			}
		}
	}
	three, _ := ShardNames("image_processing", 3)
	t.Logf("3 shards of image_processing: %v", three)
	again, _ := ShardNames("{img}", 3)
	if again[0] != "{img.0}" && again[0][:5] != "{img." {
		t.Errorf("shard names of {img}: %v", again)
	}
	if _, err := ShardNames("image_processing", 0); err == nil {
		t.Error("0 shards accepted")
	}
	if _, err := ShardNames("image_processing", MaxShards+1); err == nil {
		t.Error("too many shards accepted")
	}
	long := "q234567890123456789012345678901234567890123456789012345678901"
	if _, err := ShardNames(long, 3); err == nil {
		t.Errorf("shard names over 64 bytes accepted")
	}
}
