-- deadletter puts an id whose record is missing or unreadable on the failed list
-- with the reason, so nothing leaves a list without a trace. A missing record is
-- recreated with just the id, status and error, so `HGETALL task:<id>` says why;
-- a key of the wrong type is never written (it is not the queue's).
local function deadletter(failed, stats, events, maxlen, tk, id, why, worker, secs)
  if redis.call('EXISTS', tk) == 0 then
    redis.call('HSET', tk, 'id', id, 'status', 'failed', 'error', why, 'completed_at', secs)
  end
  redis.call('LPUSH', failed, id)
  redis.call('HINCRBY', stats, 'failed', 1)
  redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'kind', 'failed', 'task', id,
    'worker', worker or '', 'error', why)
end
