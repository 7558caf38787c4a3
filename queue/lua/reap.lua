-- reap: declare workers gone when their heartbeat is older than the timeout, and
-- expire the leases of the tasks they held so recover.lua hands them back at once
-- instead of waiting for the lease to run out.
-- KEYS: 1 workers, 2 workers gone, 3 leases, 4 processing, 5 events
-- ARGV: 1 timeout ms, 2 worker key prefix, 3 events maxlen, 4 keep gone ms
local bad = expect({KEYS[1], 'zset', KEYS[2], 'zset', KEYS[3], 'zset', KEYS[4], 'hash'})
if bad then return bad end
local nowms, now = clock()
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowms - tonumber(ARGV[1]))
if #dead > 0 then
  local set = {}
  for _, w in ipairs(dead) do
    local last = tonumber(redis.call('ZSCORE', KEYS[1], w))
    redis.call('ZREM', KEYS[1], w)
    redis.call('ZADD', KEYS[2], now, w)
    redis.call('HSET', ARGV[2] .. w, 'state', 'gone', 'gone_at', now, 'active', 0)
    redis.call('PEXPIRE', ARGV[2] .. w, tonumber(ARGV[4]))
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'worker_gone', 'worker', w,
      'error', 'no heartbeat for ' .. math.floor((nowms - last) / 1000) .. 's')
    set[w] = true
  end
  -- The processing hash names each task's worker: no record reads needed.
  local cursor = '0'
  repeat
    local r = redis.call('HSCAN', KEYS[4], cursor, 'COUNT', 1000)
    cursor = r[1]
    local kv = r[2]
    for j = 1, #kv, 2 do
      if set[kv[j + 1]] then
        redis.call('ZADD', KEYS[3], 'XX', 0, kv[j])
      end
    end
  until cursor == '0'
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowms - tonumber(ARGV[4]))
return dead
