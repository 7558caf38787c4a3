-- complete: acknowledge a batch of finished tasks of one worker in one call (a
-- worker's ack loop sends what its handlers finished meanwhile). Each task is
-- refused (LEASE_LOST) unless it is still this worker's claim at this attempt: a
-- worker whose lease lapsed during a stall must not acknowledge over the task's
-- new owner. Per task: fence check, the record's status and the course's
-- result:<id> hash; once per batch (see claim.lua on why calls are counted): HDEL
-- from processing, the leases, LPUSH on completed and its trimming, the
-- counters and the event (emit, lib/emit.lua).
-- KEYS: 1 processing, 2 leases, 3 completed, 4 stats, 5 events, 6 worker hash, 7 tasks index
-- ARGV: 1 worker, 2 completed keep, 3 events maxlen, 4 task key prefix,
--       5 result key prefix, 6 blob key prefix,
--       then per task: id, attempt, result, busy ms, output path
-- Returns one reply per task: 'OK' or 'LEASE_LOST <why>'.
local bad = expect({KEYS[1], 'hash', KEYS[2], 'zset', KEYS[3], 'list'})
if bad then return bad end
local _, _, nowsecs = clock()
local worker = ARGV[1]
local out = {}
local done = {}
local blobs = {}
local evs = {}
local busy = 0
for i = 7, #ARGV, 5 do
  local id, attempt, result, ms, output = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local tk = ARGV[4] .. id
  local h = record(tk, 'status', 'worker_id', 'attempts', 'name', 'blob_bytes') or {}
  if h[1] == 'completed' and h[2] == worker and h[3] == attempt then
    -- This very ack already ran: go-redis resent it because the reply was lost (a
    -- cut connection, CLIENT KILL). Acknowledge again; do not report a lost lease.
    out[#out + 1] = 'OK'
  elseif h[1] ~= 'processing' or h[2] ~= worker or h[3] ~= attempt then
    local why = lostwhy(h[1], h[2], h[3], worker)
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'ack_refused',
      'task', clip(id), 'worker', worker, 'error', why)
    out[#out + 1] = 'LEASE_LOST task ' .. clip(id) .. ' is not held by ' .. worker
  else
    redis.call('HSET', tk, 'status', 'completed', 'completed_at', nowsecs, 'duration_ms', ms,
      'error', '')
    if result == '' then
      redis.call('HSET', ARGV[5] .. id, 'task_id', id, 'output_path', output, 'worker_id', worker,
        'total_time', secs(tonumber(ms)))
    else
      redis.call('HSET', ARGV[5] .. id, 'task_id', id, 'output_path', output, 'worker_id', worker,
        'total_time', secs(tonumber(ms)), 'result', result)
    end
    if h[5] then
      blobs[#blobs + 1] = ARGV[6] .. id
    end
    done[#done + 1] = id
    -- data (the course's JSON) is read only for a record without a name of its
    -- own (one the course's producer wrote): it is the largest field.
    local name = h[4] and clip(h[4]) or nameof(nil, redis.call('HGET', tk, 'data'))
    evs[#done] = {task = id, name = name, dur_ms = tonumber(ms), attempt = tonumber(attempt)}
    busy = busy + tonumber(ms)
    out[#out + 1] = 'OK'
  end
end
local n = #done
if n > 0 then
  for j = 1, n, 400 do
    local e = math.min(j + 399, n)
    redis.call('HDEL', KEYS[1], unpack(done, j, e))
    redis.call('ZREM', KEYS[2], unpack(done, j, e))
    -- Newest first, as one LPUSH per task would leave them.
    redis.call('LPUSH', KEYS[3], unpack(done, j, e))
  end
  for j = 1, #blobs, 400 do
    redis.call('UNLINK', unpack(blobs, j, math.min(j + 399, #blobs)))
  end
  trim(KEYS[3], tonumber(ARGV[2]), KEYS[7], ARGV[4], ARGV[5], nil)
  redis.call('HINCRBY', KEYS[4], 'completed', n)
  redis.call('HINCRBY', KEYS[6], 'processed', n)
  redis.call('HINCRBY', KEYS[6], 'busy_ms', busy)
  redis.call('HINCRBY', KEYS[6], 'active', -n)
  emit(KEYS[5], ARGV[3], 'completed', worker, evs)
end
return out
