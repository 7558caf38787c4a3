-- complete: acknowledge a finished task. Refused (LEASE_LOST) unless the task is
-- still this worker's claim at this attempt: a worker whose lease lapsed during a
-- stall must not acknowledge over the task's new owner.
-- KEYS: 1 task, 2 processing, 3 leases, 4 completed, 5 stats, 6 events, 7 worker hash, 8 blob
-- ARGV: 1 id, 2 worker, 3 attempt, 4 result, 5 busy ms, 6 completed keep,
--       7 retention ms, 8 events maxlen, 9 task key prefix, 10 blob key prefix
local h = redis.call('HMGET', KEYS[1], 'status', 'worker', 'attempts', 'name')
if h[1] == 'completed' and h[2] == ARGV[2] and h[3] == ARGV[3] then
  -- This very ack already ran: go-redis resent it because the reply was lost (a
  -- cut connection, CLIENT KILL). Acknowledge again; do not report a lost lease.
  return 1
end
if h[1] ~= 'processing' or h[2] ~= ARGV[2] or h[3] ~= ARGV[3] then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'ack_refused',
    'task', ARGV[1], 'worker', ARGV[2], 'error', 'lease lost (now ' .. tostring(h[1]) .. ' by ' .. tostring(h[2]) .. ')')
  return redis.error_reply('LEASE_LOST task ' .. ARGV[1] .. ' is not held by ' .. ARGV[2])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('LREM', KEYS[2], 1, ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[8])
redis.call('HSET', KEYS[1], 'status', 'completed', 'finished_at', now, 'result', ARGV[4],
  'duration_ms', ARGV[5], 'error', '')
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('LPUSH', KEYS[4], ARGV[1])
local keep = tonumber(ARGV[6])
-- Bounded memory: the list keeps the newest N ids; older finished tasks go with it.
local old = redis.call('LRANGE', KEYS[4], keep, -1)
if #old > 0 then
  redis.call('LTRIM', KEYS[4], 0, keep - 1)
  for _, id in ipairs(old) do
    redis.call('UNLINK', ARGV[9] .. id, ARGV[10] .. id)
  end
end
redis.call('HINCRBY', KEYS[5], 'completed', 1)
redis.call('HINCRBY', KEYS[7], 'processed', 1)
redis.call('HINCRBY', KEYS[7], 'busy_ms', ARGV[5])
redis.call('HINCRBY', KEYS[7], 'active', -1)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'completed',
  'task', ARGV[1], 'name', h[4] or '', 'worker', ARGV[2], 'dur_ms', ARGV[5], 'attempt', ARGV[3])
return 1
