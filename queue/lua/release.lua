-- release: a stopping worker hands an unfinished task back to the front of its
-- pending list; the attempt it used does not count. Fenced like complete.lua.
-- KEYS: 1 task, 2 processing, 3 leases, 4 high, 5 normal, 6 low, 7 signal, 8 events, 9 worker hash
-- ARGV: 1 id, 2 worker, 3 attempt, 4 events maxlen, 5 signal cap
local bad = expect({KEYS[2], 'hash', KEYS[3], 'zset', KEYS[4], 'list', KEYS[5], 'list', KEYS[6], 'list'})
if bad then return bad end
local h = record(KEYS[1], 'status', 'worker_id', 'attempts', 'priority', 'name', 'data') or {}
if h[1] ~= 'processing' or h[2] ~= ARGV[2] or h[3] ~= ARGV[3] then
  return redis.error_reply('LEASE_LOST task ' .. ARGV[1] .. ' is not held by ' .. ARGV[2])
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', -1)
redis.call('HSET', KEYS[1], 'status', 'pending')
local lists = {high = KEYS[4], normal = KEYS[5], low = KEYS[6]}
redis.call('LPUSH', lists[h[4]] or KEYS[5], ARGV[1])
if redis.call('LLEN', KEYS[7]) < tonumber(ARGV[5]) then
  redis.call('RPUSH', KEYS[7], '1')
end
redis.call('HINCRBY', KEYS[9], 'active', -1)
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'released', 'task', clip(ARGV[1]),
  'name', nameof(h[5], h[6]), 'worker', ARGV[2])
return 1
