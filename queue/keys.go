package queue

import (
	"fmt"
	"strings"
	"unicode"
)

// DefaultName is the course's queue name: its keys read exactly as in the lesson
// (image_processing:pending, image_processing:completed, ...).
const DefaultName = "image_processing"

// Keys builds every Redis key of one queue. No other file spells a key name, so the
// whole layout can be read here (and in docs/ARCHITECTURE.md).
//
// The lists, the processing hash and the task and result records are the
// course's own layout (lesson 4): its Python producer and worker and its
// redis-cli commands work on them unchanged. Everything else is imgq's and lives
// in extra keys under the queue's prefix that the course's code never touches.
//
// Task records are "task:<id>" and "result:<id>", as in the course. A queue name
// that carries a Redis Cluster hash tag such as "{img}" puts them under its name
// instead ("{img}:task:<id>"), so every key a script touches shares one slot.
type Keys struct {
	Prefix string // "<name>:"
	// RecordPrefix goes before "task:<id>" and "result:<id>": "" (the course's
	// keys), or "<name>:" when the name carries a hash tag.
	RecordPrefix string

	PendingHigh string // list of task ids: producers RPUSH, imgq takes the head (LPOP), a course worker the tail
	Pending     string // normal priority
	PendingLow  string
	Processing  string // hash task id -> worker id (the course's): claim = HSET, finish = HDEL
	Completed   string // list, newest first (LPUSH), trimmed to Options.CompletedKeep
	Failed      string // dead letters, newest first (LPUSH)
	Tasks       string // set of the ids imgq enqueued: how flush and lookups find records without KEYS
	Observed    string // hash id -> "worker first-seen-ms": claims by workers imgq did not start
	ObsWorkers  string // zset worker id -> last activity (ms) of workers imgq did not start
	Observer    string // hash: where the observer stopped reading completed and failed
	Leases      string // zset id -> lease deadline (ms, Redis TIME)
	Retry       string // zset id -> time the retry is due (ms)
	Signal      string // list of wake-up tokens idle workers block on
	Stats       string // hash of counters: enqueued, completed, failed, ...
	Events      string // capped stream of every transition
	Workers     string // zset worker id -> last heartbeat (ms)
	WorkersGone string // zset worker id -> time it was declared gone (ms)
	Config      string // hash of runtime switches shared by all workers (fail_rate)
	Housekeeper string // short lock: which process runs the housekeeping this second
	// Sharding says how many shards a sharded queue of this name was made with
	// (Options.Shards), so every process agrees on N: a string, set once.
	Sharding string
}

// NewKeys returns the key names of queue name. Call ValidateName first.
func NewKeys(name string) Keys {
	p := name + ":"
	rp := ""
	if HasHashTag(name) {
		rp = p
	}
	return Keys{
		Prefix:       p,
		RecordPrefix: rp,
		Tasks:        p + "tasks",
		Observed:     p + "observed",
		ObsWorkers:   p + "observed:workers",
		Observer:     p + "observer",
		PendingHigh:  p + "pending:high",
		Pending:      p + "pending",
		PendingLow:   p + "pending:low",
		Processing:   p + "processing",
		Completed:    p + "completed",
		Failed:       p + "failed",
		Leases:       p + "leases",
		Retry:        p + "retry",
		Signal:       p + "signal",
		Stats:        p + "stats",
		Events:       p + "events",
		Workers:      p + "workers",
		WorkersGone:  p + "workers:gone",
		Config:       p + "config",
		Housekeeper:  p + "housekeeper",
		Sharding:     p + "shards",
	}
}

// Task is the hash of one task: the course's "task:<id>".
func (k Keys) Task(id string) string { return k.TaskPrefix() + id }

// TaskPrefix is Task without the id, for scripts that derive task keys.
func (k Keys) TaskPrefix() string { return k.RecordPrefix + "task:" }

// Result is the course's "result:<id>" hash: task_id, output_path, worker_id, total_time.
func (k Keys) Result(id string) string { return k.ResultPrefix() + id }

// ResultPrefix is Result without the id.
func (k Keys) ResultPrefix() string { return k.RecordPrefix + "result:" }

// ObsWorker is the hash imgq keeps about a worker it did not start (a course
// worker), derived from what that worker does to the course's keys.
func (k Keys) ObsWorker(id string) string { return k.Prefix + "observed:worker:" + id }

// Blob holds the input bytes that travel with a task.
func (k Keys) Blob(id string) string { return k.BlobPrefix() + id }

// BlobPrefix goes before a task id in Blob: the scripts that store or delete
// blobs build their names from it.
func (k Keys) BlobPrefix() string { return k.Prefix + "blob:" }

// Worker is the hash of one worker: host, pid, state and counters.
func (k Keys) Worker(id string) string { return k.Prefix + "worker:" + id }

// PendingFor returns the pending list of a priority.
func (k Keys) PendingFor(p Priority) string {
	switch p {
	case High:
		return k.PendingHigh
	case Low:
		return k.PendingLow
	default:
		return k.Pending
	}
}

// Pattern matches every key of the queue, for SCAN; glob characters in the name
// are escaped so a name can never match another queue's keys.
func (k Keys) Pattern() string {
	var b strings.Builder
	for _, r := range k.Prefix {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('*')
	return b.String()
}

// ValidateName refuses queue names that would be unreadable or ambiguous in Redis:
// empty, too long, spaces, control characters, ':' (a name with ':' could overlap
// another queue's keys, so flush could delete them), or glob characters.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("queue name is empty")
	}
	if len(name) > 64 {
		return fmt.Errorf("queue name %q is longer than 64 bytes", name)
	}
	for _, r := range name {
		switch {
		case r == ':' || r == '*' || r == '?' || r == '[' || r == ']' || r == '\\':
			return fmt.Errorf("queue name %q: %q is not allowed (use letters, digits, _ - . and a {hash tag})", name, r)
		case unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII:
			return fmt.Errorf("queue name %q: spaces, control and non-ASCII characters are not allowed", name)
		}
	}
	return nil
}

// ValidateID refuses task and worker ids that could break a key or a terminal.
func ValidateID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%s id is empty", kind)
	}
	if len(id) > 128 {
		return fmt.Errorf("%s id %q... is %d bytes, longer than 128", kind, clip(id, 40), len(id))
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII || r == ':' || r == '{' || r == '}' || r == '*' || r == '?' || r == '[' || r == ']' || r == '\\' {
			return fmt.Errorf("%s id %q: only printable ASCII without spaces, ':', braces or glob characters", kind, id)
		}
	}
	return nil
}

// HasHashTag reports whether name carries a Redis Cluster hash tag ("{img}",
// "jobs{eu}"): a non-empty part between the first '{' and the next '}'. Only
// then do all of the queue's keys hash to one slot, as its scripts need.
func HasHashTag(name string) bool {
	i := strings.IndexByte(name, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(name[i+1:], '}')
	return j > 0
}

// reshardGuard is the key no one writes in the slot of a queue's key
// ("jobs{eu}:reshard-guard" for "jobs{eu}:pending"), under the queue's own
// prefix (so an ACL user limited to it may declare it), "" for a key of a
// queue without a hash tag: every queue script call on a Cluster declares it
// too, so that none runs while the slot is being migrated (queue/reshard.go).
func reshardGuard(key string) string {
	name, _, ok := strings.Cut(key, ":") // a queue name holds no ':' (ValidateName)
	if !ok || !HasHashTag(name) {
		return ""
	}
	return name + ":reshard-guard"
}
