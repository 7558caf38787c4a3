-- observe: derive what workers imgq did not start (the course's Python workers)
-- are doing, from what they do to the course's keys, since they never register
-- or report. Their claims are the entries of processing without an imgq lease;
-- their completions and failures are new ids at the head of the completed and
-- failed lists whose record names a worker that is not imgq's. Each becomes an
-- event marked observed, and a hash per worker (observed:worker:<id>) keeps its
-- counts, so every dashboard and `imgq stats` show it like any other worker.
-- Run by the elected housekeeper; its cost grows with the claims in flight and
-- the ids finished since the last pass (at most ARGV[6] per list).
-- KEYS: 1 processing, 2 leases, 3 observed claims, 4 observed workers, 5 observer,
--       6 completed, 7 failed, 8 events, 9 stats
-- ARGV: 1 task key prefix, 2 observed worker key prefix, 3 events maxlen,
--       4 blob key prefix, 5 keep ms, 6 limit, 7 imgq worker key prefix
local bad = expect({KEYS[1], 'hash', KEYS[2], 'zset', KEYS[3], 'hash', KEYS[4], 'zset', KEYS[5], 'hash', KEYS[6], 'list', KEYS[7], 'list'})
if bad then return bad end
local nowms, now = clock()
local maxlen = ARGV[3]
local function seen(w)
  local k = ARGV[2] .. w
  redis.call('ZADD', KEYS[4], now, w)
  redis.call('HSET', k, 'id', w, 'last_seen', now)
  redis.call('HSETNX', k, 'started_at', now)
  return k
end

-- 1. Claims: processing entries without a lease.
local active = {}
if redis.call('HLEN', KEYS[1]) > redis.call('ZCARD', KEYS[2]) or redis.call('HLEN', KEYS[3]) > 0 then
  local foreign = {}
  local kv = redis.call('HGETALL', KEYS[1])
  for j = 1, #kv, 2 do
    local id, w = kv[j], kv[j + 1]
    if not redis.call('ZSCORE', KEYS[2], id) then
      foreign[id] = w
      active[w] = (active[w] or 0) + 1
      local was = redis.call('HGET', KEYS[3], id)
      if not was or string.sub(was, 1, #w + 1) ~= w .. ' ' then
        redis.call('HSET', KEYS[3], id, w .. ' ' .. now)
        local h = record(ARGV[1] .. id, 'name', 'data', 'started_at', 'attempts') or {}
        local k = seen(w)
        redis.call('HSET', k, 'current', id, 'current_name', nameof(h[1], h[2]),
          'current_since', string.format('%d', stamp(h[3]) or nowms))
        redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxlen, '*', 'kind', 'claimed', 'task', clip(id),
          'name', nameof(h[1], h[2]), 'worker', clip(w), 'observed', '1')
      end
    end
  end
  local ob = redis.call('HGETALL', KEYS[3])
  for j = 1, #ob, 2 do
    local id = ob[j]
    local w = string.match(ob[j + 1], '^(.*) %d+$') or ob[j + 1]
    if foreign[id] ~= w then
      redis.call('HDEL', KEYS[3], id)
      local k = ARGV[2] .. w
      if redis.call('HGET', k, 'current') == id then
        redis.call('HDEL', k, 'current', 'current_name', 'current_since')
      end
    end
  end
end

-- 2. Completions and failures: new ids at the head of the finished lists.
local function walk(list, field, kind, counter)
  local ids = redis.call('LRANGE', list, 0, tonumber(ARGV[6]) - 1)
  local head = redis.call('HGET', KEYS[5], field)
  if #ids == 0 then
    -- An empty list: everything pushed from now on is new ('' matches no id).
    redis.call('HSET', KEYS[5], field, '')
    return
  end
  redis.call('HSET', KEYS[5], field, ids[1])
  if not head then return end -- the first pass starts here; history is not replayed
  local new = {}
  for _, id in ipairs(ids) do
    if id == head then break end
    new[#new + 1] = id
  end
  for i = #new, 1, -1 do
    local id = new[i]
    local h = record(ARGV[1] .. id, 'worker_id', 'started_at', 'completed_at', 'duration_ms',
      'name', 'data', 'error')
    local w = h and h[1]
    -- imgq's own acks write duration_ms; its workers have an "instance".
    if w and not h[4] and redis.call('HEXISTS', ARGV[7] .. w, 'instance') == 0 then
      local s, e = stamp(h[2]), stamp(h[3])
      local dur = (s and e and e >= s) and (e - s) or 0
      local k = seen(w)
      redis.call('HINCRBY', k, counter, 1)
      redis.call('HINCRBY', k, 'busy_ms', dur)
      redis.call('HINCRBY', KEYS[9], kind, 1)
      redis.call('UNLINK', ARGV[4] .. id)
      local f = {'kind', kind, 'task', clip(id), 'name', nameof(h[5], h[6]), 'worker', clip(w),
        'dur_ms', string.format('%d', dur), 'observed', '1'}
      if kind == 'failed' then
        f[#f + 1] = 'error'
        f[#f + 1] = clip(h[7] or '', 1024)
      end
      redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxlen, '*', unpack(f))
    end
  end
end
walk(KEYS[6], 'completed_head', 'completed', 'processed')
walk(KEYS[7], 'failed_head', 'failed', 'failed')

-- 3. Each observed worker's state; forget those idle for longer than keep.
for _, w in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  local k = ARGV[2] .. w
  local n = active[w] or 0
  redis.call('HSET', k, 'active', n, 'state', n > 0 and 'busy' or 'idle')
  if n > 0 then redis.call('ZADD', KEYS[4], now, w) end
end
for _, w in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', nowms - tonumber(ARGV[5]))) do
  redis.call('ZREM', KEYS[4], w)
  redis.call('UNLINK', ARGV[2] .. w)
end
return 1
