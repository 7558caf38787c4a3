-- enqueue: create a task once and make it pending, as the course's add_task does
-- (HSET task:<id>, then RPUSH pending), plus imgq's fields and extras.
-- Idempotent: a retried call (go-redis resends a command whose reply was lost)
-- finds the record and does nothing, so a task can never be queued twice.
-- KEYS: 1 task record, 2 pending list of its priority, 3 signal, 4 events, 5 stats, 6 blob,
--       7 tasks index
-- ARGV: 1 id, 2 name, 3 priority, 4 data (JSON), 5 max attempts, 6 events maxlen,
--       7 signal cap, 8 has blob (1/0), 9 blob bytes
local bad = expect({KEYS[2], 'list'})
if bad then return bad end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local _, _, nowsecs = clock()
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'data', ARGV[4], 'status', 'pending',
  'created_at', nowsecs, 'name', ARGV[2], 'priority', ARGV[3], 'attempts', 0,
  'max_attempts', ARGV[5])
if ARGV[8] == '1' then
  redis.call('SET', KEYS[6], ARGV[9])
  redis.call('HSET', KEYS[1], 'blob_bytes', string.len(ARGV[9]))
end
redis.call('SADD', KEYS[7], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('LLEN', KEYS[3]) < tonumber(ARGV[7]) then
  redis.call('RPUSH', KEYS[3], '1')
end
redis.call('HINCRBY', KEYS[5], 'enqueued', 1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'kind', 'enqueued',
  'task', ARGV[1], 'name', ARGV[2], 'priority', ARGV[3])
return 1
