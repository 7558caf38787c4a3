-- recover: hand back tasks whose lease lapsed (their worker died or stalled).
-- A task id found in processing with no lease at all (put there by hand, or left by
-- an older version) first gets a lease from now, so it is recovered like any other.
-- A task that has used all its attempts is dead-lettered instead.
-- KEYS: 1 leases, 2 processing, 3 high, 4 normal, 5 low, 6 failed, 7 signal, 8 events, 9 stats
-- ARGV: 1 task key prefix, 2 limit, 3 events maxlen, 4 signal cap, 5 lease ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local inflight = redis.call('LRANGE', KEYS[2], 0, 9999)
for _, id in ipairs(inflight) do
  if not redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), id)
  end
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local lists = {high = KEYS[3], normal = KEYS[4], low = KEYS[5]}
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('LREM', KEYS[2], 1, id)
  local tk = ARGV[1] .. id
  local h = redis.call('HMGET', tk, 'status', 'worker', 'attempts', 'max_attempts', 'priority', 'name')
  if not h[1] then
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'dropped',
      'task', id, 'error', 'task hash is missing')
  elseif h[1] == 'processing' then
    local who = h[2] or '?'
    local msg = 'lease expired on worker ' .. who
    if tonumber(h[3] or '0') >= tonumber(h[4] or '1') then
      redis.call('HSET', tk, 'status', 'failed', 'error', msg .. ' on the last attempt', 'finished_at', now)
      redis.call('LPUSH', KEYS[6], id)
      redis.call('HINCRBY', KEYS[9], 'failed', 1)
      redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'failed', 'task', id,
        'name', h[6] or '', 'worker', who, 'attempt', h[3] or '0', 'error', msg .. ' on the last attempt')
    else
      -- Front of its list: it has waited its turn already.
      redis.call('HSET', tk, 'status', 'pending', 'error', msg, 'recovered_from', who)
      redis.call('LPUSH', lists[h[5]] or KEYS[4], id)
      if redis.call('LLEN', KEYS[7]) < tonumber(ARGV[4]) then
        redis.call('RPUSH', KEYS[7], '1')
      end
      redis.call('HINCRBY', KEYS[9], 'recovered', 1)
      redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'recovered', 'task', id,
        'name', h[6] or '', 'prev', who, 'attempt', h[3] or '0', 'error', msg)
    end
    n = n + 1
  end
end
return n
