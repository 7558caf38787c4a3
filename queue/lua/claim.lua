-- claim: take up to N ids from the pending lists (high, then normal, then low;
-- oldest first, from the head, while a course worker pops the tail) into the
-- course's processing hash and give each a lease, in one atomic step. There is
-- no moment at which a task is in neither (the script is atomic), so a worker
-- killed at any instant loses nothing: its leases lapse and recover.lua hands
-- the tasks back. MONITOR shows the course's move: LPOP pending, HSET processing.
--
-- Cost matters here (docs/BENCHMARKS.md): per task the record (HMGET to read
-- it, HSET to mark it); the pops (one LPOP with a count per list, see pop),
-- the processing hash, leases, counters and the event (emit, lib/emit.lua) take
-- one call per batch.
-- KEYS: 1 high, 2 normal, 3 low, 4 processing, 5 leases, 6 stats, 7 events, 8 worker hash, 9 failed
-- ARGV: 1 worker id, 2 max tasks, 3 lease ms, 4 events maxlen, 5 task key prefix,
--       6 default max attempts, 7 (optional) how many lists to take from: 1 high
--       only, 2 high and normal, 3 all (default); a sharded queue's claim
--       (sharded.go) keeps priorities across its shards with it
-- Reply: flat, the claim time (ms) then 9 fields a task: id, name, priority,
-- data, attempt, max attempts, created_at, blob bytes, timeout ms (queue.parseClaimed).
-- Only the two keys written after a pop are checked up front (a TYPE call each,
-- per claim): a pending list of the wrong type fails its own LPOP, before it
-- takes anything, and the failed list is checked on the rare dead-letter path.
local bad = expect({KEYS[4], 'hash', KEYS[5], 'zset'})
if bad then return bad end
local refused, failedok
local nowms, now, nowsecs = clock()
local deadline = string.format('%d', nowms + tonumber(ARGV[3]))
local worker = ARGV[1]
local want = tonumber(ARGV[2])
local prios = {'high', 'normal', 'low'}
-- Attempts as strings without tostring's %.14g formatting (~0.5 µs a number).
local digits = {'1', '2', '3', '4', '5', '6', '7', '8', '9', '10'}
-- pop takes up to n ids from the head of a list: one LPOP with a count (Redis
-- 6.2+), or one LPOP each on an older server, which refuses the count.
local counted = true
local function pop(key, n)
  if counted then
    local r = redis.pcall('LPOP', key, n)
    if not (type(r) == 'table' and r.err and string.find(r.err, 'wrong number', 1, true)) then
      return r
    end
    counted = false
  end
  local r = {}
  for k = 1, n do
    local id = redis.pcall('LPOP', key)
    if type(id) == 'table' and id.err then return id end
    if not id then break end
    r[k] = id
  end
  return r
end
local out, leases, held, evs = {now}, {}, {}, {}
local got, o, e = 0, 1, 0
for i = 1, tonumber(ARGV[7] or '3') do
  local more = true
  while more and got < want and not refused do
    local ask = want - got
    local ids = pop(KEYS[i], ask)
    if type(ids) == 'table' and ids.err then
      refused = expect({KEYS[i], 'list'}) or ids
      break
    end
    -- A short pop emptied the list; a full one may leave more to take when
    -- some of it was dead-lettered.
    ids = ids or {}
    more = #ids == ask
    for j = 1, #ids do
      local id = ids[j]
      local tk = ARGV[5] .. id
      local h, why = record(tk, 'status', 'name', 'priority', 'data', 'max_attempts',
        'created_at', 'blob_bytes', 'recovered_from', 'attempts', 'timeout_ms')
      if h and not h[1] and not h[4] then
        if redis.call('EXISTS', tk) == 1 then
          why = 'task record ' .. tk .. ' has neither status nor data'
        else
          why = 'task record ' .. tk .. ' is missing'
        end
      end
      if why and not failedok then
        refused = expect({KEYS[9], 'list'})
        failedok = not refused
        if refused then
          -- Nowhere to dead-letter it: put it and the rest of the pop back where
          -- they were (an LPUSH of them in reverse keeps their order), change nothing.
          local back = {}
          for k = #ids, j, -1 do back[#back + 1] = ids[k] end
          redis.call('LPUSH', KEYS[i], unpack(back))
          break
        end
      end
      if why then
        -- Never dropped without a trace: dead-lettered with the reason.
        deadletter(KEYS[9], KEYS[6], KEYS[7], ARGV[4], tk, id, why, worker, nowsecs)
      else
        -- One HSET sets the new attempt too (the script is atomic, so reading
        -- attempts above and writing it here cannot race). A record the course's
        -- producer wrote has no priority or max_attempts yet: they are filled in.
        local n = (tonumber(h[9]) or 0) + 1
        local attempt = digits[n] or string.format('%d', n)
        if h[8] then
          redis.call('HDEL', tk, 'recovered_from')
        end
        local prio = h[3]
        if prio then
          redis.call('HSET', tk, 'status', 'processing', 'worker_id', worker, 'started_at', nowsecs,
            'attempts', attempt)
        else
          prio = prios[i]
          redis.call('HSET', tk, 'status', 'processing', 'worker_id', worker, 'started_at', nowsecs,
            'attempts', attempt, 'priority', prio, 'max_attempts', h[5] or ARGV[6])
        end
        got = got + 1
        leases[2 * got - 1] = deadline
        leases[2 * got] = id
        held[2 * got - 1] = id
        held[2 * got] = worker
        local name = nameof(h[2], h[4])
        evs[e + 1], evs[e + 2], evs[e + 3], evs[e + 4] = id, name, attempt, h[8] or false
        e = e + 4
        out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = id, name, prio, h[4] or '', attempt
        out[o + 6], out[o + 7], out[o + 8], out[o + 9] = h[5] or ARGV[6], h[6] or '0', h[7] or '0', h[10] or '0'
        o = o + 9
      end
    end
  end
end
if got == 0 then
  return refused or out
end
-- Variadic calls in chunks, to stay far below Lua's stack limit.
for j = 1, got, 200 do
  local k = math.min(j + 199, got)
  redis.call('HSET', KEYS[4], unpack(held, 2 * j - 1, 2 * k))
  redis.call('ZADD', KEYS[5], unpack(leases, 2 * j - 1, 2 * k))
end
redis.call('HINCRBY', KEYS[6], 'claimed', got)
redis.call('HINCRBY', KEYS[8], 'active', got)
redis.call('HSET', KEYS[8], 'current', held[2 * got - 1], 'current_since', now)
emit(KEYS[7], ARGV[4], 'claimed', worker, evs, 'prev')
-- A key of the wrong type met half-way: what was claimed before it is held
-- under leases as usual (and recovered when they lapse, since this worker is
-- told no); the error names the key.
return refused or out
