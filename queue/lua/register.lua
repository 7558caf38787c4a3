-- register: a worker joins. Refused while another live process holds the same id,
-- so two students who both chose "ana" cannot acknowledge each other's tasks.
-- Counters survive a restart under the same id (the leaderboard keeps them).
-- KEYS: 1 workers, 2 worker hash, 3 workers gone, 4 events
-- ARGV: 1 worker id, 2 instance, 3 host, 4 pid, 5 concurrency, 6 timeout ms, 7 events maxlen
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
local h = redis.call('HMGET', KEYS[2], 'instance', 'host', 'pid')
if last and h[1] and h[1] ~= ARGV[2] and tonumber(last) > now - tonumber(ARGV[6]) then
  return redis.error_reply('ID_TAKEN worker id ' .. ARGV[1] .. ' is in use by ' ..
    tostring(h[2]) .. ' pid ' .. tostring(h[3]))
end
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'instance', ARGV[2], 'host', ARGV[3], 'pid', ARGV[4],
  'concurrency', ARGV[5], 'started_at', now, 'last_seen', now, 'state', 'idle', 'active', 0)
redis.call('HDEL', KEYS[2], 'gone_at', 'current', 'current_since')
for _, f in ipairs({'processed', 'failed', 'retried', 'dead', 'busy_ms'}) do
  redis.call('HSETNX', KEYS[2], f, 0)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 'kind', 'worker_up', 'worker', ARGV[1],
  'name', ARGV[3] .. ' pid ' .. ARGV[4])
return 1
