-- handback puts a task whose worker lost it back on its pending list, recovered
-- from that worker: at the front (recover.lua: it has waited its turn already)
-- or at the tail (requeue_stuck.lua: the course's RPUSH), with a wake-up token,
-- the counter, and a `recovered` event that names the lost worker.
local function handback(tk, id, list, front, signal, signalcap, stats, events, maxlen, name, who, msg, attempt)
  redis.call('HSET', tk, 'status', 'pending', 'error', msg, 'recovered_from', who)
  redis.call(front and 'LPUSH' or 'RPUSH', list, id)
  if redis.call('LLEN', signal) < tonumber(signalcap) then
    redis.call('RPUSH', signal, '1')
  end
  redis.call('HINCRBY', stats, 'recovered', 1)
  local f = {'kind', 'recovered', 'task', clip(id), 'name', name, 'prev', who}
  if attempt then
    f[#f + 1] = 'attempt'
    f[#f + 1] = attempt
  end
  f[#f + 1] = 'error'
  f[#f + 1] = msg
  redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', unpack(f))
end
