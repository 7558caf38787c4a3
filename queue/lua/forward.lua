-- forward: move retries whose backoff is over back to the tail of their pending
-- list. A record without a priority goes to the normal list; an id whose record
-- is missing or unreadable is dead-lettered with the reason: nothing leaves the
-- retry set without landing somewhere.
-- KEYS: 1 retry, 2 high, 3 normal, 4 low, 5 signal, 6 events, 7 failed, 8 stats
-- ARGV: 1 task key prefix, 2 limit, 3 events maxlen, 4 signal cap
local bad = expect({KEYS[1], 'zset', KEYS[2], 'list', KEYS[3], 'list', KEYS[4], 'list', KEYS[7], 'list'})
if bad then return bad end
local _, now, nowsecs = clock()
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local lists = {high = KEYS[2], normal = KEYS[3], low = KEYS[4]}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local tk = ARGV[1] .. id
  local h, why = record(tk, 'priority', 'status')
  if h and not h[1] and not h[2] then
    why = 'task record ' .. tk .. ' is missing'
  end
  if why then
    deadletter(KEYS[7], KEYS[8], KEYS[6], ARGV[3], tk, id, why, '', nowsecs)
  else
    redis.call('HSET', tk, 'status', 'pending')
    redis.call('RPUSH', lists[h[1]] or KEYS[3], id)
    if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[4]) then
      redis.call('RPUSH', KEYS[5], '1')
    end
  end
end
return #ids
