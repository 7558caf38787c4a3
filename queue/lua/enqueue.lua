-- enqueue: create a batch of tasks and make them pending, as the course's
-- add_task does for one (HSET task:<id>, then RPUSH pending), plus imgq's fields
-- and extras. One call per batch (queue.EnqueueBatch sends up to enqueueBatch
-- tasks): per task only the record's two writes; the pending lists, the index,
-- the wake-up tokens, the counter and the event take one call per batch.
-- Idempotent: a retried call (go-redis resends a command whose reply was lost)
-- finds the records and does nothing for them, so a task is never queued twice.
-- KEYS: 1 high, 2 normal, 3 low, 4 signal, 5 events, 6 stats, 7 tasks index
-- ARGV: 1 task key prefix, 2 blob key prefix, 3 events maxlen, 4 signal cap,
--       then per task: id, name, priority (high/normal/low), data (JSON),
--       max attempts, has blob (1/0), blob, timeout ms (0: the worker's default)
-- Reply: one entry per task: 1 created, 0 already there, or an error's text.
-- HSETNX of the id is the idempotency check and the record's first write in one
-- call. A record of the wrong type refuses that task before anything of it is
-- written; any other refusal (OOM at maxmemory: Redis checks it before a
-- script's first write only) refuses the tasks from there on, and the whole
-- call when nothing was written yet, so the caller can say what happened.
local lists = {high = KEYS[1], normal = KEYS[2], low = KEYS[3]}
local listbad = {}
local _, _, nowsecs = clock()
local out = {}
local pushed = {high = {}, normal = {}, low = {}}
local made, blobs, evs = {}, {}, {}
local n, e = 0, 0
local stop, lastprio
for i = 5, #ARGV, 8 do
  local id, name, prio = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local k = #out + 1
  local list = lists[prio]
  if listbad[prio] == nil then
    listbad[prio] = expect({list, 'list'}) or false
  end
  if stop then
    out[k] = stop
  elseif listbad[prio] then
    out[k] = listbad[prio].err
  else
    local tk = ARGV[1] .. id
    local fresh = redis.pcall('HSETNX', tk, 'id', id)
    if type(fresh) == 'table' and fresh.err then
      if string.find(fresh.err, 'WRONGTYPE', 1, true) then
        out[k] = 'WRONGTYPE task record ' .. tk .. ' is not a hash'
      elseif n == 0 then
        return fresh
      else
        stop = fresh.err
        out[k] = stop
      end
    elseif fresh == 0 then
      out[k] = 0
    else
      local f = {'data', ARGV[i + 3], 'status', 'pending', 'created_at', nowsecs, 'name', name,
        'priority', prio, 'attempts', '0', 'max_attempts', ARGV[i + 4]}
      if ARGV[i + 5] == '1' then
        blobs[#blobs + 1] = ARGV[2] .. id
        blobs[#blobs + 1] = ARGV[i + 6]
        f[#f + 1] = 'blob_bytes'
        f[#f + 1] = string.len(ARGV[i + 6])
      end
      local tmo = ARGV[i + 7]
      if tmo ~= '0' and tmo ~= '' and tonumber(tmo) and tonumber(tmo) > 0 then
        f[#f + 1] = 'timeout_ms'
        f[#f + 1] = tmo
      end
      redis.call('HSET', tk, unpack(f))
      local p = pushed[prio]
      p[#p + 1] = id
      n = n + 1
      made[n] = id
      lastprio = prio
      evs[e + 1], evs[e + 2], evs[e + 3], evs[e + 4] = id, name, '0', false
      e = e + 4
      out[k] = 1
    end
  end
end
if n == 0 then
  return out
end
-- Variadic calls in chunks, to stay far below Lua's stack limit.
for _, prio in ipairs({'high', 'normal', 'low'}) do
  local p = pushed[prio]
  for j = 1, #p, 200 do
    redis.call('RPUSH', lists[prio], unpack(p, j, math.min(j + 199, #p)))
  end
end
-- One SET per blob, not MSET: the documented ACL (docs/ACL.md) grants SET,
-- and a blob's bytes dwarf the call.
for j = 1, #blobs, 2 do
  redis.call('SET', blobs[j], blobs[j + 1])
end
for j = 1, n, 200 do
  redis.call('SADD', KEYS[7], unpack(made, j, math.min(j + 199, n)))
end
-- One wake-up token a task, up to the cap.
local tokens = math.min(n, tonumber(ARGV[4]) - redis.call('LLEN', KEYS[4]))
if tokens > 0 then
  local t = {}
  for j = 1, math.min(tokens, 200) do t[j] = '1' end
  for j = 1, tokens, 200 do
    redis.call('RPUSH', KEYS[4], unpack(t, 1, math.min(200, tokens - j + 1)))
  end
end
redis.call('HINCRBY', KEYS[6], 'enqueued', n)
if n == 1 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'enqueued',
    'task', clip(made[1]), 'name', clip(evs[2]), 'priority', lastprio)
else
  emit(KEYS[5], ARGV[3], 'enqueued', '', evs, nil)
end
return out
