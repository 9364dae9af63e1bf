-- Record when the host left, unless a host connection is recorded, in one step: a host who
-- reconnects while their old connection's $disconnect runs is then never marked gone.
-- KEYS[1] game hash  KEYS[2] connections hash (connection -> player id, or "host")
-- ARGV: the time the host left (ms), game TTL in seconds
-- Returns 1 when recorded, 0 when a host connection remains or the game has ended.
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase or phase == 'ended' then
  return 0
end
for _, viewer in ipairs(redis.call('HVALS', KEYS[2])) do
  if viewer == 'host' then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'host_gone_at_ms', ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
