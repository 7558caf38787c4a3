-- complete: acknowledge a batch of finished tasks of one worker in one call (a
-- worker's ack loop sends what its handlers finished meanwhile). Each task is
-- refused (LEASE_LOST) unless it is still this worker's claim at this attempt: a
-- worker whose lease lapsed during a stall must not acknowledge over the task's
-- new owner. Per task: fence check, move out of processing, status, expiry; the
-- leases, the completed list and its trimming, counters and the event (emit,
-- lib/emit.lua) once per batch (see claim.lua on why calls are counted).
-- KEYS: 1 processing, 2 leases, 3 completed, 4 stats, 5 events, 6 worker hash
-- ARGV: 1 worker, 2 completed keep, 3 retention ms, 4 events maxlen,
--       5 task key prefix, 6 blob key prefix,
--       then per task: id, attempt, result, busy ms
-- Returns one reply per task: 'OK' or 'LEASE_LOST <why>'.
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local worker = ARGV[1]
local out = {}
local done = {}
local blobs = {}
local evs = {}
local busy = 0
for i = 7, #ARGV, 4 do
  local id, attempt, result, ms = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local tk = ARGV[5] .. id
  local h = redis.call('HMGET', tk, 'status', 'worker', 'attempts', 'name', 'blob_bytes')
  if h[1] == 'completed' and h[2] == worker and h[3] == attempt then
    -- This very ack already ran: go-redis resent it because the reply was lost (a
    -- cut connection, CLIENT KILL). Acknowledge again; do not report a lost lease.
    out[#out + 1] = 'OK'
  elseif h[1] ~= 'processing' or h[2] ~= worker or h[3] ~= attempt then
    local why = 'lease lost (now ' .. tostring(h[1]) .. ' by ' .. tostring(h[2]) .. ')'
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'ack_refused',
      'task', id, 'worker', worker, 'error', why)
    out[#out + 1] = 'LEASE_LOST task ' .. id .. ' is not held by ' .. worker
  else
    redis.call('LREM', KEYS[1], 1, id)
    redis.call('HSET', tk, 'status', 'completed', 'finished_at', now, 'result', result,
      'duration_ms', ms, 'error', '')
    redis.call('PEXPIRE', tk, ARGV[3])
    if h[5] then
      blobs[#blobs + 1] = ARGV[6] .. id
    end
    done[#done + 1] = id
    evs[#done] = {task = id, name = h[4] or '', dur_ms = tonumber(ms), attempt = tonumber(attempt)}
    busy = busy + tonumber(ms)
    out[#out + 1] = 'OK'
  end
end
local n = #done
if n > 0 then
  for j = 1, n, 400 do
    local e = math.min(j + 399, n)
    redis.call('ZREM', KEYS[2], unpack(done, j, e))
    -- Newest first, as one LPUSH per task would leave them.
    redis.call('LPUSH', KEYS[3], unpack(done, j, e))
  end
  for j = 1, #blobs, 400 do
    redis.call('UNLINK', unpack(blobs, j, math.min(j + 399, #blobs)))
  end
  -- Bounded memory: the list keeps the newest N ids; older finished tasks go with it.
  local keep = tonumber(ARGV[2])
  local old = redis.call('LRANGE', KEYS[3], keep, -1)
  if #old > 0 then
    redis.call('LTRIM', KEYS[3], 0, keep - 1)
    -- Only the hashes: a task's blob went when it completed (above).
    local gone = {}
    for _, id in ipairs(old) do
      gone[#gone + 1] = ARGV[5] .. id
      if #gone >= 400 then
        redis.call('UNLINK', unpack(gone))
        gone = {}
      end
    end
    if #gone > 0 then
      redis.call('UNLINK', unpack(gone))
    end
  end
  redis.call('HINCRBY', KEYS[4], 'completed', n)
  redis.call('HINCRBY', KEYS[6], 'processed', n)
  redis.call('HINCRBY', KEYS[6], 'busy_ms', busy)
  redis.call('HINCRBY', KEYS[6], 'active', -n)
  emit(KEYS[5], ARGV[4], 'completed', worker, evs)
end
return out
