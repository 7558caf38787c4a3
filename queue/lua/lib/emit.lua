-- emit writes the event of one worker's batch of task transitions (claim.lua,
-- complete.lua prepend this file). A lone task is a flat entry, as every other
-- event (kind task name worker attempt, then dur_ms / prev when set); several are
-- one entry listing them as JSON, which queue.ReadEvents hands out one by one.
-- One XADD per batch instead of one per task: it is a Redis call per task saved.
-- Ids, names and workers are cut to 256 bytes (clip, lib/record.lua): an id
-- pushed by hand is not validated, and every dashboard reads every event.
local function emit(stream, maxlen, kind, worker, evs)
  for _, e in ipairs(evs) do
    e.task, e.name, e.prev = clip(e.task), clip(e.name), clip(e.prev)
  end
  if #evs == 1 then
    local e = evs[1]
    local f = {'kind', kind, 'task', e.task, 'name', e.name, 'worker', worker,
      'attempt', e.attempt}
    if e.dur_ms then
      f[#f + 1] = 'dur_ms'
      f[#f + 1] = e.dur_ms
    end
    if e.prev then
      f[#f + 1] = 'prev'
      f[#f + 1] = e.prev
    end
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(f))
  elseif #evs > 1 then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'kind', kind,
      'worker', worker, 'batch', #evs, 'tasks', cjson.encode(evs))
  end
end

