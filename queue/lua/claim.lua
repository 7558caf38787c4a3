-- claim: move up to N ids from the pending lists (high, then normal, then low;
-- oldest first) to processing and give each a lease, in one atomic step.
-- There is no moment at which a task is in neither list, so a worker killed at
-- any instant loses nothing: its leases lapse and recover.lua hands the tasks back.
-- KEYS: 1 high, 2 normal, 3 low, 4 processing, 5 leases, 6 stats, 7 events, 8 worker hash
-- ARGV: 1 worker id, 2 max tasks, 3 lease ms, 4 events maxlen, 5 task key prefix
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local want = tonumber(ARGV[2])
local deadline = now + tonumber(ARGV[3])
local out = {}
local leases = {}
local got = 0
local last
for i = 1, 3 do
  while got < want do
    local id = redis.call('LMOVE', KEYS[i], KEYS[4], 'LEFT', 'RIGHT')
    if not id then break end
    local tk = ARGV[5] .. id
    local h = redis.call('HMGET', tk, 'status', 'name', 'priority', 'payload',
      'max_attempts', 'created_at', 'blob_bytes', 'recovered_from', 'attempts')
    if not h[1] then
      -- The id outlived its hash (deleted by hand): drop it and say so.
      redis.call('LREM', KEYS[4], -1, id)
      redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'dropped',
        'task', id, 'error', 'task hash is missing')
    else
      -- One HSET sets the new attempt too (the script is atomic, so reading
      -- attempts above and writing it here cannot race).
      local attempt = (tonumber(h[9]) or 0) + 1
      redis.call('HSET', tk, 'status', 'processing', 'worker', ARGV[1], 'started_at', now,
        'attempts', attempt)
      leases[#leases + 1] = deadline
      leases[#leases + 1] = id
      local ev = {'kind', 'claimed', 'task', id, 'name', h[2] or '', 'worker', ARGV[1],
        'attempt', attempt}
      if h[8] then
        redis.call('HDEL', tk, 'recovered_from')
        ev[#ev + 1] = 'prev'
        ev[#ev + 1] = h[8]
      end
      redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', unpack(ev))
      out[#out + 1] = {id, h[2] or '', h[3] or 'normal', h[4] or '', attempt,
        h[5] or '0', h[6] or '0', h[7] or '0', now}
      got = got + 1
      last = id
    end
  end
end
if got > 0 then
  -- All leases in one variadic ZADD (in chunks, to stay far below Lua's stack limit).
  for j = 1, #leases, 400 do
    redis.call('ZADD', KEYS[5], unpack(leases, j, math.min(j + 399, #leases)))
  end
  redis.call('HINCRBY', KEYS[6], 'claimed', got)
  redis.call('HINCRBY', KEYS[8], 'active', got)
  redis.call('HSET', KEYS[8], 'current', last, 'current_since', now)
end
return out
