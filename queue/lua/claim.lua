-- claim: move up to N ids from the pending lists (high, then normal, then low;
-- oldest first) to processing and give each a lease, in one atomic step.
-- There is no moment at which a task is in neither list (the script is atomic),
-- so a worker killed at any instant loses nothing: its leases lapse and
-- recover.lua hands the tasks back.
--
-- Cost matters here (docs/BENCHMARKS.md): per task only the move and the task
-- hash (HMGET to read it, HSET to mark it); leases, counters and the event (emit,
-- lib/emit.lua) are one call per batch. Times go to Redis as strings, formatted once: a Lua number is
-- formatted with %.17g on every redis.call it is passed to.
-- KEYS: 1 high, 2 normal, 3 low, 4 processing, 5 leases, 6 stats, 7 events, 8 worker hash
-- ARGV: 1 worker id, 2 max tasks, 3 lease ms, 4 events maxlen, 5 task key prefix
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now = string.format('%d', nowms)
local deadline = string.format('%d', nowms + tonumber(ARGV[3]))
local worker = ARGV[1]
local want = tonumber(ARGV[2])
local out, leases, evs = {}, {}, {}
local got = 0
for i = 1, 3 do
  while got < want do
    -- One LMOVE per task, not LRANGE+LTRIM per batch: it costs ~0.6 µs a task
    -- more, but MONITOR then shows the course's move from pending to processing.
    local id = redis.call('LMOVE', KEYS[i], KEYS[4], 'LEFT', 'RIGHT')
    if not id then break end
    local tk = ARGV[5] .. id
    local h = redis.call('HMGET', tk, 'status', 'name', 'priority', 'payload',
      'max_attempts', 'created_at', 'blob_bytes', 'recovered_from', 'attempts')
    if not h[1] then
      -- The id outlived its hash (deleted by hand): drop it and say so.
      redis.call('LREM', KEYS[4], -1, id)
      redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'dropped',
        'task', id, 'error', 'task hash is missing')
    else
      -- One HSET sets the new attempt too (the script is atomic, so reading
      -- attempts above and writing it here cannot race).
      local n = (tonumber(h[9]) or 0) + 1
      local attempt = tostring(n)
      if h[8] then
        redis.call('HDEL', tk, 'recovered_from')
      end
      redis.call('HSET', tk, 'status', 'processing', 'worker', worker, 'started_at', now,
        'attempts', attempt)
      got = got + 1
      leases[2 * got - 1] = deadline
      leases[2 * got] = id
      evs[got] = {task = id, name = h[2] or '', attempt = n, prev = h[8] or nil}
      out[got] = {id, h[2] or '', h[3] or 'normal', h[4] or '', attempt,
        h[5] or '0', h[6] or '0', h[7] or '0', now}
    end
  end
end
if got == 0 then
  return out
end
-- Variadic calls in chunks, to stay far below Lua's stack limit.
for j = 1, got, 200 do
  redis.call('ZADD', KEYS[5], unpack(leases, 2 * j - 1, 2 * math.min(j + 199, got)))
end
redis.call('HINCRBY', KEYS[6], 'claimed', got)
redis.call('HINCRBY', KEYS[8], 'active', got)
redis.call('HSET', KEYS[8], 'current', evs[got].task, 'current_since', now)
emit(KEYS[7], ARGV[4], 'claimed', worker, evs)
return out
