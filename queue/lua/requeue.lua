-- requeue: move one dead-lettered task back to the tail of its pending list with a
-- fresh set of attempts. Whoever dead-lettered it (imgq, or a course worker's
-- mark_failed), being on the failed list is what counts; an id whose record is
-- gone cannot run again and stays where it is.
-- KEYS: 1 task, 2 failed, 3 high, 4 normal, 5 low, 6 signal, 7 events, 8 stats
-- ARGV: 1 id, 2 events maxlen, 3 signal cap
local bad = expect({KEYS[2], 'list', KEYS[3], 'list', KEYS[4], 'list', KEYS[5], 'list'})
if bad then return bad end
local h = record(KEYS[1], 'status', 'priority', 'name', 'data')
if not h or (not h[1] and not h[4]) then
  return 0
end
if redis.call('LREM', KEYS[2], 0, ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'error', '')
redis.call('PERSIST', KEYS[1])
local lists = {high = KEYS[3], normal = KEYS[4], low = KEYS[5]}
redis.call('RPUSH', lists[h[2]] or KEYS[4], ARGV[1])
if redis.call('LLEN', KEYS[6]) < tonumber(ARGV[3]) then
  redis.call('RPUSH', KEYS[6], '1')
end
redis.call('HINCRBY', KEYS[8], 'requeued', 1)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'requeued', 'task', clip(ARGV[1]),
  'name', nameof(h[3], h[4]))
return 1
