-- deregister: a worker stops cleanly (after handing back what it could not finish).
-- KEYS: 1 workers, 2 worker hash, 3 workers gone, 4 events
-- ARGV: 1 worker id, 2 instance, 3 keep gone ms, 4 events maxlen
if redis.call('HGET', KEYS[2], 'instance') ~= ARGV[2] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('HSET', KEYS[2], 'state', 'stopped', 'gone_at', now, 'active', 0)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'worker_stopped', 'worker', ARGV[1])
return 1
