-- complete: acknowledge a batch of finished tasks of one worker in one call (a
-- worker's ack loop sends what its handlers finished meanwhile). Each task is
-- refused (LEASE_LOST) unless it is still this worker's claim at this attempt: a
-- worker whose lease lapsed during a stall must not acknowledge over the task's
-- new owner. Per task: fence check (an HMGET of three fields), the record's
-- status and the course's result:<id> hash; once per batch (see claim.lua on
-- why calls are counted): HDEL from processing, the leases, LPUSH on completed
-- and its trimming, the counters and the event (emit, lib/emit.lua).
-- What the worker already knows comes as arguments rather than from the record
-- (the task's name and whether it has a blob, both from its claim; the course's
-- total_time formatted; the batch's busy time summed), so Lua neither reads
-- nor formats them: each number Lua turns into a string costs ~0.5 µs.
-- KEYS: 1 processing, 2 leases, 3 completed, 4 stats, 5 events, 6 worker hash, 7 tasks index
-- ARGV: 1 worker, 2 completed keep, 3 events maxlen, 4 task key prefix,
--       5 result key prefix, 6 blob key prefix, 7 busy ms of the batch,
--       then per task: id, attempt, result, busy ms, output path, name,
--       total_time (seconds, "0.250"), has blob (1/0)
-- Returns one reply per task: 'OK' or 'LEASE_LOST <why>'.
local bad = expect({KEYS[1], 'hash', KEYS[2], 'zset', KEYS[3], 'list'})
if bad then return bad end
local _, _, nowsecs = clock()
local worker = ARGV[1]
local out = {}
local done = {}
local blobs = {}
local evs = {}
local n, e = 0, 0
for i = 8, #ARGV, 8 do
  local id, attempt, result, ms, output = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local tk = ARGV[4] .. id
  local h = record(tk, 'status', 'worker_id', 'attempts') or {}
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
        'total_time', ARGV[i + 6])
    else
      redis.call('HSET', ARGV[5] .. id, 'task_id', id, 'output_path', output, 'worker_id', worker,
        'total_time', ARGV[i + 6], 'result', result)
    end
    if ARGV[i + 7] == '1' then
      blobs[#blobs + 1] = ARGV[6] .. id
    end
    n = n + 1
    done[n] = id
    evs[e + 1], evs[e + 2], evs[e + 3], evs[e + 4] = id, ARGV[i + 5], attempt, ms
    e = e + 4
    out[#out + 1] = 'OK'
  end
end
if n > 0 then
  for j = 1, n, 400 do
    local k = math.min(j + 399, n)
    redis.call('HDEL', KEYS[1], unpack(done, j, k))
    redis.call('ZREM', KEYS[2], unpack(done, j, k))
    -- Newest first, as one LPUSH per task would leave them.
    redis.call('LPUSH', KEYS[3], unpack(done, j, k))
  end
  for j = 1, #blobs, 400 do
    redis.call('UNLINK', unpack(blobs, j, math.min(j + 399, #blobs)))
  end
  trim(KEYS[3], tonumber(ARGV[2]), KEYS[7], ARGV[4], ARGV[5], nil)
  redis.call('HINCRBY', KEYS[4], 'completed', n)
  redis.call('HINCRBY', KEYS[6], 'processed', n)
  -- The batch's busy time counts only for the tasks recorded here (a refused or
  -- resent one adds nothing); the Go side sums all, so it is summed again only
  -- when some were left out.
  local busy = ARGV[7]
  if n * 8 ~= #ARGV - 7 then
    local b = 0
    for j = 4, #evs, 4 do b = b + tonumber(evs[j]) end
    busy = b
  end
  redis.call('HINCRBY', KEYS[6], 'busy_ms', busy)
  redis.call('HINCRBY', KEYS[6], 'active', -n)
  emit(KEYS[5], ARGV[3], 'completed', worker, evs, 'dur_ms')
end
return out
