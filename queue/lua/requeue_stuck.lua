-- requeue_stuck: the course's fix for a task its crashed worker left in
-- processing (HDEL processing, RPUSH pending), done atomically and only for
-- claims imgq cannot vouch for: no imgq lease (imgq's own are recovered by
-- recover.lua) and older than stuck-after, measured from the record's
-- started_at or, without one, from when the observer first saw the claim.
-- KEYS: 1 processing, 2 leases, 3 high, 4 normal, 5 low, 6 signal, 7 events, 8 stats,
--       9 observed claims, 10 failed
-- ARGV: 1 task key prefix, 2 stuck after ms, 3 events maxlen, 4 signal cap, 5 only this id ('' = all)
local bad = expect({KEYS[1], 'hash', KEYS[2], 'zset', KEYS[3], 'list', KEYS[4], 'list', KEYS[5], 'list', KEYS[10], 'list'})
if bad then return bad end
local nowms, _, nowsecs = clock()
local lists = {high = KEYS[3], normal = KEYS[4], low = KEYS[5]}
local after = tonumber(ARGV[2])
local n = 0
local kv = redis.call('HGETALL', KEYS[1])
for j = 1, #kv, 2 do
  local id, w = kv[j], kv[j + 1]
  if (ARGV[5] == '' or ARGV[5] == id) and not redis.call('ZSCORE', KEYS[2], id) then
    local tk = ARGV[1] .. id
    local h, why = record(tk, 'started_at', 'priority', 'name', 'data', 'status')
    local since = claimedsince(h and h[1], KEYS[9], id, nowms)
    if nowms - since >= after then
      redis.call('HDEL', KEYS[1], id)
      redis.call('HDEL', KEYS[9], id)
      if h and not h[4] and not h[5] then
        why = 'task record ' .. tk .. ' is missing'
      end
      local msg = 'stuck on worker ' .. w .. ' for ' .. math.floor((nowms - since) / 1000) ..
        's with no imgq lease (a worker imgq cannot see)'
      if why then
        deadletter(KEYS[10], KEYS[8], KEYS[7], ARGV[3], tk, id, why, w, nowsecs)
      else
        handback(tk, id, lists[h[2]] or KEYS[4], false, KEYS[6], ARGV[4], KEYS[8], KEYS[7], ARGV[3],
          nameof(h[3], h[4]), w, msg)
      end
      n = n + 1
    end
  end
end
return n
