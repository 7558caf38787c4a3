-- stats: everything the dashboard shows, in one round trip. Depths are the
-- course's LLEN and HLEN; the cost grows with the number of workers and of
-- claims without an imgq lease (course workers'), never with a list's length.
-- KEYS: 1 high, 2 normal, 3 low, 4 processing, 5 retry, 6 completed, 7 failed,
--       8 stats, 9 workers, 10 workers gone, 11 config, 12 leases, 13 observed workers,
--       14 observed claims
-- ARGV: 1 worker key prefix, 2 task key prefix, 3 observed worker key prefix
-- Reply: now ms, the seven depths, totals, config, workers, observed workers,
-- foreign claims, and the queue latency (ms the oldest pending task has waited).
local nowms = clock()
local out = {nowms,
  redis.call('LLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), redis.call('LLEN', KEYS[3]),
  redis.call('HLEN', KEYS[4]), redis.call('ZCARD', KEYS[5]), redis.call('LLEN', KEYS[6]),
  redis.call('LLEN', KEYS[7]), redis.call('HGETALL', KEYS[8]), redis.call('HGETALL', KEYS[11])}
local function current(h, w)
  -- The worker's current task is in the reply already: no second read of the hash.
  local cur
  for j = 1, #h, 2 do
    if h[j] == 'current' then
      cur = h[j + 1]
      break
    end
  end
  if cur then
    local th = record(ARGV[2] .. cur, 'status', 'worker_id', 'name', 'started_at', 'data') or {}
    if th[1] == 'processing' and th[2] == w then
      h[#h + 1] = 'current_name'
      h[#h + 1] = nameof(th[3], th[5])
      h[#h + 1] = 'current_started'
      h[#h + 1] = string.format('%d', stamp(th[4]) or 0)
    end
  end
  return h
end
-- Each worker's hash (imgq's registry, then the observed ones), with its current task.
local function hashes(ids, prefix)
  local ws = {}
  for _, w in ipairs(ids) do
    local h = redis.call('HGETALL', prefix .. w)
    if #h > 0 then
      ws[#ws + 1] = current(h, w)
    end
  end
  return ws
end
local ids = redis.call('ZRANGE', KEYS[9], 0, -1)
for _, w in ipairs(redis.call('ZRANGE', KEYS[10], 0, -1)) do ids[#ids + 1] = w end
out[#out + 1] = hashes(ids, ARGV[1])
out[#out + 1] = hashes(redis.call('ZRANGE', KEYS[13], 0, -1), ARGV[3])
-- Claims without a lease (flat: id, worker, since ms, name): stuck once old
-- enough, and what each course worker is doing now (the observer's own record
-- of it is up to a second old, longer than a course worker's task).
local foreign = {}
if redis.call('HLEN', KEYS[4]) > redis.call('ZCARD', KEYS[12]) then
  local kv = redis.call('HGETALL', KEYS[4])
  for j = 1, #kv, 2 do
    if not redis.call('ZSCORE', KEYS[12], kv[j]) then
      local th = record(ARGV[2] .. kv[j], 'started_at', 'name', 'data') or {}
      local s = claimedsince(th[1], KEYS[14], kv[j], nowms)
      foreign[#foreign + 1] = kv[j]
      foreign[#foreign + 1] = kv[j + 1]
      foreign[#foreign + 1] = string.format('%d', s)
      foreign[#foreign + 1] = nameof(th[2], th[3])
    end
  end
end
out[#out + 1] = foreign
-- Queue latency: the head of each pending list is its oldest task (producers
-- RPUSH; a task handed back goes to the head and is older still), so its
-- record's created_at says how long work has waited. LRANGE 0 0 reads one id
-- whatever the length (and is the command docs/ACL.md grants); a head without
-- a readable created_at (a foreign record) is skipped, as queue.OldestPending does.
local oldest = 0
for i = 1, 3 do
  local head = redis.call('LRANGE', KEYS[i], 0, 0)[1]
  if head then
    local created = stamp((record(ARGV[2] .. head, 'created_at') or {})[1])
    if created then oldest = math.max(oldest, nowms - created) end
  end
end
out[#out + 1] = oldest
return out
