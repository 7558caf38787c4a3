-- recover: hand back tasks whose lease lapsed (their imgq worker died or stalled).
-- Only imgq's own claims have leases: an entry in processing without one belongs
-- to a worker imgq did not start (a course worker), and is left to it, or to
-- requeue_stuck.lua once it is older than --stuck-after.
-- A task that has used all its attempts is dead-lettered instead.
-- KEYS: 1 leases, 2 processing, 3 high, 4 normal, 5 low, 6 failed, 7 signal, 8 events, 9 stats
-- ARGV: 1 task key prefix, 2 limit, 3 events maxlen, 4 signal cap, 5 worker key prefix
-- The worker that lost a task is charged with it in its own hash (lost, or dead
-- when that was the task's last attempt), as fail.lua charges a failed attempt:
-- per-worker counts of tasks taken back, for the dashboard and the metrics.
local bad = expect({KEYS[1], 'zset', KEYS[2], 'hash', KEYS[3], 'list', KEYS[4], 'list', KEYS[5], 'list', KEYS[6], 'list'})
if bad then return bad end
local _, now, nowsecs = clock()
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local lists = {high = KEYS[3], normal = KEYS[4], low = KEYS[5]}
local function charge(who, field)
  local wk = (ARGV[5] or '') .. who
  if ARGV[5] and redis.call('EXISTS', wk) == 1 then
    redis.call('HINCRBY', wk, field, 1)
  end
end
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local tk = ARGV[1] .. id
  local h, why = record(tk, 'status', 'worker_id', 'attempts', 'max_attempts', 'priority', 'name', 'data')
  local held = redis.call('HGET', KEYS[2], id)
  if h and not h[1] and not h[7] then
    why = 'task record ' .. tk .. ' is missing'
  end
  if why then
    redis.call('HDEL', KEYS[2], id)
    deadletter(KEYS[6], KEYS[9], KEYS[8], ARGV[3], tk, id, why, held, nowsecs)
    n = n + 1
  elseif h[1] == 'processing' and held then
    -- (Not in processing any more: someone moved it by hand, the course's fix,
    -- and pushed it back themselves; pushing it again would run it twice.)
    redis.call('HDEL', KEYS[2], id)
    local who = h[2] or held
    local name = nameof(h[6], h[7])
    local msg = 'lease expired on worker ' .. who
    if tonumber(h[3] or '0') >= tonumber(h[4] or '1') then
      redis.call('HSET', tk, 'status', 'failed', 'error', msg .. ' on the last attempt', 'completed_at', nowsecs)
      redis.call('LPUSH', KEYS[6], id)
      redis.call('HINCRBY', KEYS[9], 'failed', 1)
      redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'failed', 'task', clip(id),
        'name', name, 'worker', who, 'attempt', h[3] or '0', 'error', msg .. ' on the last attempt')
      charge(who, 'dead')
    else
      charge(who, 'lost')
      handback(tk, id, lists[h[5]] or KEYS[4], true, KEYS[7], ARGV[4], KEYS[9], KEYS[8], ARGV[3],
        name, who, msg, h[3] or '0')
    end
    n = n + 1
  end
end
return n
