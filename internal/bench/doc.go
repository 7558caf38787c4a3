// Package bench is imgq's benchmark harness, everything `imgq bench` runs:
// queue throughput, pickup latency and crash recovery (RunQueue), the
// dashboard's data cost (RunDash), a worker process's memory (RunMemory),
// the image pipeline against Pillow (RunImages) and one queue over the
// masters of a loopback Redis Cluster, unsharded or in shards (RunCluster),
// each returning a report that prints itself as a table or marshals to JSON. The cli package only parses
// flags, finds a Redis (BenchRedis) and prints. The kit part (progress bar,
// percentiles, machine, CPU accounting) is shared with the nested bench
// module's queuebench. See docs/BENCHMARKS.md.
package bench
