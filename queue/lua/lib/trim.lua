-- trim keeps the newest keep ids of a finished list (completed, failed) and
-- deletes the records of the older ones: task:<id>, result:<id>, and the blob
-- when a blob prefix is given (a completed task's blob went when it completed).
-- Bounded memory without KEYS, and without expiring what the course shows.
local function trim(list, keep, index, taskp, resultp, blobp)
  local old = redis.call('LRANGE', list, keep, -1)
  if #old == 0 then return end
  redis.call('LTRIM', list, 0, keep - 1)
  local gone = {}
  for j, id in ipairs(old) do
    gone[#gone + 1] = taskp .. id
    gone[#gone + 1] = resultp .. id
    if blobp then gone[#gone + 1] = blobp .. id end
    if #gone >= 300 then
      redis.call('UNLINK', unpack(gone))
      gone = {}
    end
  end
  if #gone > 0 then redis.call('UNLINK', unpack(gone)) end
  for j = 1, #old, 400 do
    redis.call('SREM', index, unpack(old, j, math.min(j + 399, #old)))
  end
end
