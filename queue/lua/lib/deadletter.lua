-- deadletter puts an id whose record is missing or unreadable on the failed list
-- with the reason, so nothing leaves a list without a trace. A missing record is
-- recreated with just the id, status and error, so `HGETALL task:<id>` says why;
-- a key of the wrong type is never written (it is not the queue's). An id over
-- 256 bytes (pushed by hand: enqueue refuses them) is dead-lettered under its
-- first 256 bytes, and no record is made at its own key, so neither the failed
-- list nor the event copies it whole (record.lua's clip; needs lib/record).
local function deadletter(failed, stats, events, maxlen, tk, id, why, worker, secs)
  why = clip(why, 1024)
  if #id > 256 then
    why = clip('id of ' .. #id .. ' bytes (over the 256-byte limit) starting ' .. string.sub(id, 1, 64) .. ': ' .. why, 1024)
    tk = string.sub(tk, 1, #tk - #id) .. string.sub(id, 1, 256)
    id = string.sub(id, 1, 256)
  end
  if redis.call('EXISTS', tk) == 0 then
    redis.call('HSET', tk, 'id', id, 'status', 'failed', 'error', why, 'completed_at', secs)
  end
  redis.call('LPUSH', failed, id)
  redis.call('HINCRBY', stats, 'failed', 1)
  redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'kind', 'failed', 'task', id,
    'worker', clip(worker or ''), 'error', why)
end
