-- fail: a task's handler returned an error. Retryable errors wait out a backoff in
-- the retry zset until attempts run out; permanent errors, and the last attempt,
-- dead-letter the task in the failed list with its error. Fenced like complete.lua.
-- KEYS: 1 task, 2 processing, 3 leases, 4 retry, 5 failed, 6 stats, 7 events, 8 worker hash
-- ARGV: 1 id, 2 worker, 3 attempt, 4 error, 5 busy ms, 6 permanent (1/0), 7 backoff ms,
--       8 events maxlen, 9 failed keep, 10 task key prefix, 11 blob key prefix
local h = redis.call('HMGET', KEYS[1], 'status', 'worker', 'attempts', 'name', 'max_attempts')
if h[1] ~= 'processing' or h[2] ~= ARGV[2] or h[3] ~= ARGV[3] then
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'ack_refused',
    'task', ARGV[1], 'worker', ARGV[2], 'error', 'lease lost (now ' .. tostring(h[1]) .. ' by ' .. tostring(h[2]) .. ')')
  return redis.error_reply('LEASE_LOST task ' .. ARGV[1] .. ' is not held by ' .. ARGV[2])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('LREM', KEYS[2], 1, ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[8], 'failed', 1)
redis.call('HINCRBY', KEYS[8], 'busy_ms', ARGV[5])
redis.call('HINCRBY', KEYS[8], 'active', -1)
local attempts = tonumber(h[3])
if ARGV[6] ~= '1' and attempts < tonumber(h[5] or '1') then
  redis.call('HSET', KEYS[1], 'status', 'retry', 'error', ARGV[4], 'retry_at', now + tonumber(ARGV[7]))
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[7]), ARGV[1])
  redis.call('HINCRBY', KEYS[6], 'retried', 1)
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'retried', 'task', ARGV[1],
    'name', h[4] or '', 'worker', ARGV[2], 'dur_ms', ARGV[5], 'attempt', ARGV[3], 'error', ARGV[4])
  return 'retry'
end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[4], 'finished_at', now, 'duration_ms', ARGV[5])
redis.call('LPUSH', KEYS[5], ARGV[1])
local keep = tonumber(ARGV[9])
local old = redis.call('LRANGE', KEYS[5], keep, -1)
if #old > 0 then
  redis.call('LTRIM', KEYS[5], 0, keep - 1)
  for _, id in ipairs(old) do
    redis.call('UNLINK', ARGV[10] .. id, ARGV[11] .. id)
  end
end
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'failed', 'task', ARGV[1],
  'name', h[4] or '', 'worker', ARGV[2], 'dur_ms', ARGV[5], 'attempt', ARGV[3], 'error', ARGV[4])
return 'failed'
