package redisconn

import (
	"strconv"
	"strings"
)

// Which arguments of a command name keys, after Redis' own key specs (COMMAND
// INFO), for the commands imgq, the course's workers and a class at redis-cli
// use. A command not listed takes its first argument as a key, as most do: a
// value shown whole costs a few columns, a key elided costs the lesson.
var (
	// noKeys: nothing to show whole (values only).
	noKeys = set("PING", "ECHO", "TIME", "INFO", "MULTI", "EXEC", "DISCARD", "HELLO", "AUTH",
		"SELECT", "CLIENT", "CONFIG", "SCRIPT", "FUNCTION", "COMMAND", "DBSIZE", "FLUSHDB",
		"FLUSHALL", "QUIT", "RESET", "MONITOR", "SLOWLOG", "LATENCY", "ROLE", "READONLY",
		"READWRITE", "WAIT", "ACL", "SAVE", "BGSAVE", "LASTSAVE", "SHUTDOWN", "DEBUG",
		"CLUSTER", "MODULE", "SWAPDB", "REPLICAOF", "SLAVEOF", "FAILOVER", "UNWATCH",
		"PUBSUB", "RANDOMKEY", "SENTINEL", "PSYNC", "REPLCONF", "SYNC")
	// allKeys: every argument is a key (or a channel).
	allKeys = set("DEL", "UNLINK", "EXISTS", "MGET", "TOUCH", "WATCH", "SUNION", "SINTER",
		"SDIFF", "SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE",
		"SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE")
	// twoKeys: a source and a destination.
	twoKeys = set("LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH", "RENAME", "RENAMENX", "SMOVE",
		"COPY", "LCS", "GEOSEARCHSTORE", "ZRANGESTORE")
	// keysThenTimeout: blocking pops, the last argument is the timeout.
	keysThenTimeout = set("BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX")
	// scripts: script or SHA or function, numkeys, keys, then arguments.
	scripts = set("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO")
	// numkeysFirst: numkeys, then the keys.
	numkeysFirst = set("ZUNION", "ZINTER", "ZDIFF", "LMPOP", "ZMPOP", "SINTERCARD", "ZINTERCARD")
	// numkeysSecond: a destination or a timeout, numkeys, then the keys; the
	// destination is a key too (numkeysDest).
	numkeysSecond = set("BLMPOP", "BZMPOP", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
	numkeysDest   = set("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
	// keyValuePairs: key value key value…
	keyValuePairs = set("MSET", "MSETNX")
	// secondKey: a subcommand, then the key.
	secondKey = set("OBJECT", "MEMORY", "XINFO")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// markKeys sets Key on the arguments of cmd that name keys.
func markKeys(cmd string, args []MonitorArg) {
	n := len(args)
	key := func(i int) {
		if i >= 0 && i < n {
			args[i].Key = true
		}
	}
	numkeys := func(at int) {
		if at >= n {
			return
		}
		k, err := strconv.Atoi(args[at].Text)
		if err != nil {
			return
		}
		for i := at + 1; i <= at+k; i++ {
			key(i)
		}
	}
	switch {
	case noKeys[cmd]:
	case allKeys[cmd]:
		for i := range args {
			key(i)
		}
	case twoKeys[cmd]:
		key(0)
		key(1)
	case keysThenTimeout[cmd]:
		for i := 0; i < n-1; i++ {
			key(i)
		}
	case scripts[cmd]:
		numkeys(1)
	case numkeysFirst[cmd]:
		numkeys(0)
	case numkeysSecond[cmd]:
		if numkeysDest[cmd] {
			key(0)
		}
		numkeys(1)
	case keyValuePairs[cmd]:
		for i := 0; i < n; i += 2 {
			key(i)
		}
	case secondKey[cmd]:
		key(1)
	case cmd == "XREAD" || cmd == "XREADGROUP":
		markStreams(args)
	case cmd == "KEYS":
		key(0) // a pattern of key names: as much the lesson as a key
	case cmd == "SCAN":
		for i := 0; i+1 < n; i++ {
			if strings.EqualFold(args[i].Text, "MATCH") {
				key(i + 1)
			}
		}
	default:
		key(0)
	}
}

// markStreams marks the keys of XREAD [COUNT n] [BLOCK ms] STREAMS k1 k2 id1
// id2: the first half of what follows STREAMS.
func markStreams(args []MonitorArg) {
	for i, a := range args {
		if strings.EqualFold(a.Text, "STREAMS") {
			rest := args[i+1:]
			for j := range len(rest) / 2 {
				rest[j].Key = true
			}
			return
		}
	}
}
