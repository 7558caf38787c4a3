-- reap: declare workers gone when their heartbeat is older than the timeout, and
-- expire the leases of the tasks they held so recover.lua hands them back at once
-- instead of waiting for the lease to run out.
-- KEYS: 1 workers, 2 workers gone, 3 leases, 4 processing, 5 events
-- ARGV: 1 timeout ms, 2 worker key prefix, 3 task key prefix, 4 events maxlen, 5 keep gone ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
if #dead > 0 then
  local set = {}
  for _, w in ipairs(dead) do
    local last = tonumber(redis.call('ZSCORE', KEYS[1], w))
    redis.call('ZREM', KEYS[1], w)
    redis.call('ZADD', KEYS[2], now, w)
    redis.call('HSET', ARGV[2] .. w, 'state', 'gone', 'gone_at', now, 'active', 0)
    redis.call('PEXPIRE', ARGV[2] .. w, tonumber(ARGV[5]))
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'worker_gone', 'worker', w,
      'error', 'no heartbeat for ' .. math.floor((now - last) / 1000) .. 's')
    set[w] = true
  end
  for _, id in ipairs(redis.call('LRANGE', KEYS[4], 0, 9999)) do
    local h = redis.call('HMGET', ARGV[3] .. id, 'status', 'worker')
    if h[1] == 'processing' and set[h[2]] then
      redis.call('ZADD', KEYS[3], 'XX', 0, id)
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
return dead
