-- Record a connection of a game: connection -> player in the game's connections hash, and for a
-- player, player -> connection in the online hash. A player has one live connection: a new one
-- replaces the old, whose id is returned so that the caller can delete its record.
-- KEYS[1] connections hash  KEYS[2] online hash
-- ARGV: connection id, player id or "host", role ("player" or "host"), game TTL in seconds
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if ARGV[3] ~= 'player' then
  return false
end
local old = redis.call('HGET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
if old and old ~= ARGV[1] then
  redis.call('HDEL', KEYS[1], old)
  return old
end
return false
