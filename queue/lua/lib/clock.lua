-- clock reads Redis' own clock once: every deadline and timestamp of the queue
-- comes from here, never from a machine's clock. It returns the time in ms (a
-- number, for arithmetic), the same as a string (formatted once: Lua formats a
-- number with %.17g on every redis.call it is passed to), and Unix seconds with
-- microseconds ("1764620000.123456"), the format the course's Python code writes
-- with time.time() in created_at, started_at and completed_at.
local function clock()
  local t = redis.call('TIME')
  local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return nowms, string.format('%d', nowms), t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
end

-- secs formats a millisecond count as seconds with three decimals ("1.250").
local function secs(ms)
  return string.format('%.3f', ms / 1000)
end

-- stamp reads a record's time as ms: Unix seconds with a fraction (the course's
-- time.time(), imgq's scripts) or whole ms (an older imgq); nil when unreadable.
local function stamp(s)
  local v = tonumber(s)
  if not v then return nil end
  if v > 1e11 then return math.floor(v) end
  return math.floor(v * 1000)
end

-- claimedsince is when a claim without an imgq lease began: its record's
-- started_at, else when the observer first saw it (Q:observed), else now.
local function claimedsince(started, observed, id, nowms)
  local s = stamp(started)
  if s then return s end
  local seen = redis.call('HGET', observed, id)
  return seen and tonumber(string.match(seen, ' (%d+)$')) or nowms
end
