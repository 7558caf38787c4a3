-- fail: a task's handler returned an error. Retryable errors wait out a backoff in
-- the retry zset until attempts run out; permanent errors, and the last attempt,
-- dead-letter the task on the course's failed list with its error. Fenced like
-- complete.lua. The worker's hash counts every failed attempt (failed), and of
-- those the ones sent back for a retry (retried) and the ones dead-lettered
-- (dead): a class reads "dead" as tasks lost, not as attempts.
-- KEYS: 1 task, 2 processing, 3 leases, 4 retry, 5 failed, 6 stats, 7 events, 8 worker hash,
--       9 tasks index
-- ARGV: 1 id, 2 worker, 3 attempt, 4 error, 5 busy ms, 6 permanent (1/0), 7 backoff ms,
--       8 events maxlen, 9 failed keep, 10 task key prefix, 11 blob key prefix,
--       12 result key prefix
local bad = expect({KEYS[2], 'hash', KEYS[3], 'zset', KEYS[4], 'zset', KEYS[5], 'list'})
if bad then return bad end
local h = record(KEYS[1], 'status', 'worker_id', 'attempts', 'name', 'max_attempts', 'data') or {}
if h[1] ~= 'processing' or h[2] ~= ARGV[2] or h[3] ~= ARGV[3] then
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'ack_refused',
    'task', clip(ARGV[1]), 'worker', ARGV[2], 'error', lostwhy(h[1], h[2], h[3], ARGV[2]))
  return redis.error_reply('LEASE_LOST task ' .. clip(ARGV[1]) .. ' is not held by ' .. ARGV[2])
end
local nowms, _, nowsecs = clock()
-- The handler's error goes into the record and an event: bounded (clip, lib/record).
local err = clip(ARGV[4], 1024)
local name = nameof(h[4], h[6])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[8], 'failed', 1)
redis.call('HINCRBY', KEYS[8], 'busy_ms', ARGV[5])
redis.call('HINCRBY', KEYS[8], 'active', -1)
local attempts = tonumber(h[3])
if ARGV[6] ~= '1' and attempts < tonumber(h[5] or '1') then
  local due = nowms + tonumber(ARGV[7])
  redis.call('HSET', KEYS[1], 'status', 'retry', 'error', err, 'retry_at', string.format('%.3f', due / 1000))
  redis.call('ZADD', KEYS[4], string.format('%d', due), ARGV[1])
  redis.call('HINCRBY', KEYS[6], 'retried', 1)
  redis.call('HINCRBY', KEYS[8], 'retried', 1)
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'retried', 'task', clip(ARGV[1]),
    'name', name, 'worker', ARGV[2], 'dur_ms', ARGV[5], 'attempt', ARGV[3], 'error', err)
  return 'retry'
end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', err, 'completed_at', nowsecs,
  'duration_ms', ARGV[5])
redis.call('LPUSH', KEYS[5], ARGV[1])
trim(KEYS[5], tonumber(ARGV[9]), KEYS[9], ARGV[10], ARGV[12], ARGV[11])
redis.call('HINCRBY', KEYS[6], 'failed', 1)
redis.call('HINCRBY', KEYS[8], 'dead', 1)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'failed', 'task', clip(ARGV[1]),
  'name', name, 'worker', ARGV[2], 'dur_ms', ARGV[5], 'attempt', ARGV[3], 'error', err)
return 'failed'
