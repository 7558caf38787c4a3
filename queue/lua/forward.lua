-- forward: move retries whose backoff is over back to the tail of their pending list.
-- KEYS: 1 retry, 2 high, 3 normal, 4 low, 5 signal, 6 events
-- ARGV: 1 task key prefix, 2 limit, 3 events maxlen, 4 signal cap
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local lists = {high = KEYS[2], normal = KEYS[3], low = KEYS[4]}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local tk = ARGV[1] .. id
  local prio = redis.call('HGET', tk, 'priority')
  if prio then
    redis.call('HSET', tk, 'status', 'pending')
    redis.call('RPUSH', lists[prio] or KEYS[3], id)
    if redis.call('LLEN', KEYS[5]) < tonumber(ARGV[4]) then
      redis.call('RPUSH', KEYS[5], '1')
    end
  end
end
return #ids
