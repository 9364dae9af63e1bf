-- Set one field of a game hash while the game exists and has not ended.
-- KEYS[1] game hash
-- ARGV: field, value, game TTL in seconds
-- Returns 1 when set, 0 when the game has ended or does not exist.
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase or phase == 'ended' then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
