-- enqueue: create a task once and make it pending, as the course's add_task does
-- (HSET task:<id>, then RPUSH pending), plus imgq's fields and extras.
-- Idempotent: a retried call (go-redis resends a command whose reply was lost)
-- finds the record and does nothing, so a task can never be queued twice.
-- KEYS: 1 task record, 2 pending list of its priority, 3 signal, 4 events, 5 stats, 6 blob,
--       7 tasks index
-- ARGV: 1 id, 2 name, 3 priority, 4 data (JSON), 5 max attempts, 6 events maxlen,
--       7 signal cap, 8 has blob (1/0), 9 blob bytes, 10 timeout ms (0: the worker's default)
-- HSETNX of the id is the idempotency check and the record's first write in one
-- call. A record of the wrong type refuses it before anything is written; any
-- other refusal (OOM at maxmemory) is passed on as it is, so the caller can say
-- what happened.
local fresh = redis.pcall('HSETNX', KEYS[1], 'id', ARGV[1])
if type(fresh) == 'table' and fresh.err then
  if string.find(fresh.err, 'WRONGTYPE', 1, true) then
    return redis.error_reply('WRONGTYPE task record ' .. KEYS[1] .. ' is not a hash')
  end
  return fresh
end
if fresh == 0 then
  return 0
end
-- The list first: if it has the wrong type, only the id field above is undone.
local pushed = redis.pcall('RPUSH', KEYS[2], ARGV[1])
if type(pushed) == 'table' and pushed.err then
  redis.call('DEL', KEYS[1])
  return expect({KEYS[2], 'list'}) or pushed
end
local _, _, nowsecs = clock()
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'status', 'pending',
  'created_at', nowsecs, 'name', ARGV[2], 'priority', ARGV[3], 'attempts', 0,
  'max_attempts', ARGV[5])
if ARGV[8] == '1' then
  redis.call('SET', KEYS[6], ARGV[9])
  redis.call('HSET', KEYS[1], 'blob_bytes', string.len(ARGV[9]))
end
if tonumber(ARGV[10]) and tonumber(ARGV[10]) > 0 then
  redis.call('HSET', KEYS[1], 'timeout_ms', ARGV[10])
end
redis.call('SADD', KEYS[7], ARGV[1])
if redis.call('LLEN', KEYS[3]) < tonumber(ARGV[7]) then
  redis.call('RPUSH', KEYS[3], '1')
end
redis.call('HINCRBY', KEYS[5], 'enqueued', 1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'kind', 'enqueued',
  'task', ARGV[1], 'name', ARGV[2], 'priority', ARGV[3])
return 1
