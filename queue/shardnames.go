package queue

import (
	"fmt"
	"strings"
)

// MaxShards bounds Options.Shards: each shard is a whole queue (its own lists,
// leases, events and worker records), and a worker polls them all.
const MaxShards = 64

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// ShardNames returns the names of the n sub-queues of queue name: one hash tag
// each, "{<base>.<i>}" (base is name without braces), with a suffix
// ("{<base>.<i>.<k>}", the first k that fits) so that shard i's slot falls in
// the middle half of the i-th of n equal slot ranges. A cluster made by
// `redis-cli --cluster create` gives each of its m masters one equal range, so
// n = m shards (or any multiple of m) land one per master (or evenly) without
// any configuration, and every process derives the same names from the same
// name and n.
func ShardNames(name string, n int) ([]string, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxShards {
		return nil, fmt.Errorf("shards %d: between 1 and %d", n, MaxShards)
	}
	base := strings.NewReplacer("{", "", "}", "").Replace(name)
	out := make([]string, n)
	for i := range n {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
		w := hi - lo
		lo, hi = lo+w/4, hi-w/4
		tag := fmt.Sprintf("%s.%d", base, i)
		for k := 1; ; k++ {
			if s := KeySlot(tag); s >= lo && s < hi {
				break
			}
			tag = fmt.Sprintf("%s.%d.%d", base, i, k)
		}
		out[i] = "{" + tag + "}"
		if err := ValidateName(out[i]); err != nil {
			return nil, fmt.Errorf("shard %d of %s: %w (choose a shorter queue name)", i, name, err)
		}
	}
	return out, nil
}

// KeySlot is the Redis Cluster hash slot of key (CRC16-XMODEM of its hash tag,
// or of the whole key, mod 16384), as CLUSTER KEYSLOT computes it.
func KeySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % clusterSlots
}
