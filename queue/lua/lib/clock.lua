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
