-- heartbeat: a live worker says so, and extends the leases of the tasks it holds,
-- so a slow task is never stolen from a live worker. Returns {'ok', fail_rate,
-- pace_ms, paused}: the shared failure-injection rate, teaching pace and pause
-- ride on the reply, saving each worker a round trip a second; 'gone' when the
-- worker was declared gone (or its id taken over): it must register again, and
-- its old claims are no longer its own.
-- active and current are recomputed from the held tasks still processing under
-- this worker (the script is atomic against complete.lua, so an ack that landed
-- after the worker listed its tasks is not counted again): a worker with several
-- slots whose newest claim finished still names a task it is working on.
-- KEYS: 1 workers, 2 worker hash, 3 leases, 4 config
-- ARGV: 1 worker id, 2 instance, 3 lease ms, 4 task key prefix, 5 state, 6 active (as the
--       worker counted it; recounted here), 7.. task ids
local h = redis.call('HMGET', KEYS[2], 'instance', 'state', 'current')
local cfg = redis.call('HMGET', KEYS[4], 'fail_rate', 'pace_ms', 'paused')
local rate, pace, paused = cfg[1] or '', cfg[2] or '', cfg[3] or ''
if h[1] ~= ARGV[2] or h[2] == 'gone' or h[2] == 'stopped' then
  return {'gone', rate, pace, paused}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
local deadline = now + tonumber(ARGV[3])
local active, first, keep = 0, nil, false
for i = 7, #ARGV do
  local id = ARGV[i]
  local th = redis.call('HMGET', ARGV[4] .. id, 'status', 'worker_id')
  if th[1] == 'processing' and th[2] == ARGV[1] then
    redis.call('ZADD', KEYS[3], 'XX', deadline, id)
    active = active + 1
    first = first or id
    keep = keep or id == h[3]
  end
end
redis.call('HSET', KEYS[2], 'last_seen', now, 'state', ARGV[5], 'active', active)
if first and not keep then
  redis.call('HSET', KEYS[2], 'current', first)
end
return {'ok', rate, pace, paused}
