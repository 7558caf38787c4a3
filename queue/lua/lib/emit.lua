-- emit writes the event of one worker's batch of task transitions (claim.lua,
-- complete.lua prepend this file). A lone task is a flat entry, as every other
-- event (kind task name worker attempt, then dur_ms / prev when set); several are
-- one entry listing them as JSON, which queue.ReadEvents hands out one by one.
-- One XADD per batch instead of one per task: it is a Redis call per task saved.
-- Ids, names and workers are cut to 256 bytes (clip, lib/record.lua): an id
-- pushed by hand is not validated, and every dashboard reads every event.
--
-- evs is flat, four values a task: id, name, attempt and dur_ms or prev
-- (more = 'dur_ms' or 'prev' names the fourth; false when unset, as a nil
-- would make a hole in the table and #evs unreliable). Attempts and
-- durations are decimal strings (Go ints, or a record's attempts + 1). The JSON
-- is written by hand, not with cjson: a table per task and cjson.encode cost
-- ~0.6 µs a task (docs/BENCHMARKS.md); a string that needs escaping (quotes,
-- backslashes, control bytes: an id or name pushed by hand) goes through
-- cjson.encode alone.
local function jsonstr(s)
  if string.find(s, '[%c"\\]') then return cjson.encode(s) end
  return '"' .. s .. '"'
end

local function emit(stream, maxlen, kind, worker, evs, more)
  local n = #evs / 4
  if n == 0 then return end
  if n == 1 then
    local f = {'kind', kind, 'task', clip(evs[1]), 'name', clip(evs[2]), 'worker', worker,
      'attempt', evs[3]}
    if evs[4] then
      f[#f + 1] = more
      f[#f + 1] = more == 'prev' and clip(evs[4]) or evs[4]
    end
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(f))
    return
  end
  local parts = {}
  local m = 0
  for i = 1, #evs, 4 do
    m = m + 1
    local tail = ''
    if evs[i + 3] then
      if more == 'prev' then
        tail = ',"prev":' .. jsonstr(clip(evs[i + 3]))
      else
        tail = ',"dur_ms":' .. evs[i + 3]
      end
    end
    parts[m] = '{"task":' .. jsonstr(clip(evs[i])) .. ',"name":' .. jsonstr(clip(evs[i + 1])) ..
      ',"attempt":' .. evs[i + 2] .. tail .. '}'
  end
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'kind', kind,
    'worker', worker, 'batch', n, 'tasks', '[' .. table.concat(parts, ',') .. ']')
end
