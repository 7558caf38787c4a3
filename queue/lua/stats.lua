-- stats: everything the dashboard shows, in one round trip. Its cost grows with
-- the number of workers, never with the length of any list (LLEN is O(1)).
-- KEYS: 1 high, 2 normal, 3 low, 4 processing, 5 retry, 6 completed, 7 failed,
--       8 stats, 9 workers, 10 workers gone, 11 config
-- ARGV: 1 worker key prefix, 2 task key prefix
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now,
  redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), redis.call('LLEN', KEYS[3]),
  redis.call('LLEN', KEYS[4]), redis.call('ZCARD', KEYS[5]), redis.call('LLEN', KEYS[6]),
  redis.call('LLEN', KEYS[7]), redis.call('HGETALL', KEYS[8]), redis.call('HGETALL', KEYS[11])}
local ws = {}
local ids = redis.call('ZRANGE', KEYS[9], 0, -1)
for _, w in ipairs(redis.call('ZRANGE', KEYS[10], 0, -1)) do ids[#ids + 1] = w end
for _, w in ipairs(ids) do
  local h = redis.call('HGETALL', ARGV[1] .. w)
  if #h > 0 then
    -- The worker's current task is in the reply already: no second read of the hash.
    local cur
    for j = 1, #h, 2 do
      if h[j] == 'current' then
        cur = h[j + 1]
        break
      end
    end
    if cur then
      local th = redis.call('HMGET', ARGV[2] .. cur, 'status', 'worker', 'name', 'started_at')
      if th[1] == 'processing' and th[2] == w then
        h[#h + 1] = 'current_name'
        h[#h + 1] = th[3] or ''
        h[#h + 1] = 'current_started'
        h[#h + 1] = th[4] or '0'
      end
    end
    ws[#ws + 1] = h
  end
end
out[#out + 1] = ws
return out
