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

-- nameof is a task's label: imgq's "name" field, else the "name" inside the
-- course's "data" JSON (a task the course's producer made has only that).
local function nameof(name, data)
  if name then return name end
  if data then
    local ok, d = pcall(cjson.decode, data)
    if ok and type(d) == 'table' and type(d.name) == 'string' then return d.name end
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
