-- record reads fields of a task record without ever aborting the script: a key
-- of the wrong type (a LIST where a HASH belongs, written by another program)
-- makes redis.call raise, and Redis does not roll back what a script already
-- did, so one bad id must not break a batch. It returns the values, or nil and
-- a reason the caller dead-letters the task with.
local function record(key, ...)
  local h = redis.pcall('HMGET', key, ...)
  if type(h) == 'table' and h.err then
    local ty = redis.call('TYPE', key)
    return nil, 'task record ' .. key .. ' is a ' .. (ty.ok or tostring(ty)) .. ', not a hash'
  end
  return h
end

-- clip cuts a string the script did not validate (an id pushed by hand, a name,
-- an error) to n bytes, 256 by default (queue.MaxNameBytes; errors use 1024,
-- queue.MaxErrorBytes), before it goes into an event or a record: every dashboard
-- reads every event, so one huge field must not be copied into one.
local function clip(s, n)
  if type(s) ~= 'string' then return s end
  n = n or 256
  if #s <= n then return s end
  return string.sub(s, 1, n)
end

-- nameof is a task's label: imgq's "name" field, else the "name" inside the
-- course's "data" JSON (a task the course's producer made has only that).
local function nameof(name, data)
  if name then return clip(name) end
  if data then
    local ok, d = pcall(cjson.decode, data)
    if ok and type(d) == 'table' and type(d.name) == 'string' then return clip(d.name) end
  end
  return ''
end

-- expect refuses to start when one of the keys (key, type, key, type, ...) holds
-- another type: checked before anything is popped, since Redis does not roll
-- back a script that fails half-way. The Go side turns the WRONGTYPE reply into
-- a message naming the key, its type and the fix (queue.LayoutError).
local function expect(kt)
  for i = 1, #kt, 2 do
    local ty = redis.call('TYPE', kt[i])
    ty = type(ty) == 'table' and ty.ok or ty
    if ty ~= 'none' and ty ~= kt[i + 1] then
      return redis.error_reply('WRONGTYPE ' .. kt[i] .. ' is a ' .. ty .. ', imgq expects a ' .. kt[i + 1])
    end
  end
end

-- lostwhy says in words why a worker's result for a task is refused (complete.lua,
-- fail.lua): what the task's record says now (status, holder, attempt).
local function lostwhy(status, holder, attempt, worker)
  local who = clip(holder or '?')
  if status == 'processing' and holder == worker then
    return 'this worker\'s lease lapsed and it claimed the task again (attempt ' .. tostring(attempt) ..
      '); this older result is dropped'
  elseif status == 'processing' then
    return 'the task was recovered and handed to ' .. who ..
      ' after this worker\'s lease lapsed; this result is dropped'
  elseif status == 'pending' then
    return 'the task was recovered after the lease of ' .. who ..
      ' lapsed and is pending again, for the next worker; this result is dropped'
  elseif status == 'retry' then
    return 'the task is waiting for a retry (last run by ' .. who .. '); this result is dropped'
  elseif status == 'completed' then
    return 'the task was already completed by ' .. who .. '; this result is dropped'
  elseif status == 'failed' then
    return 'the task was dead-lettered meanwhile; this result is dropped'
  elseif status == nil then
    return 'the task\'s record is gone (flushed or trimmed); this result is dropped'
  end
  return 'the task is no longer this worker\'s (status ' .. clip(status) .. '); this result is dropped'
end
