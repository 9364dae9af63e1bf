-- Remove a player from a game for good: out of the players, the ranking and the online
-- players, with their nickname freed and their id added to the kicked set that connect checks.
-- Totals and answers stay, so the report still shows what the player did.
-- KEYS[1] players hash  KEYS[2] nicknames hash  KEYS[3] ranking sorted set  KEYS[4] online hash
-- KEYS[5] connections hash  KEYS[6] kicked set
-- ARGV: player, folded nickname, game TTL in seconds
-- Returns the player's live connection id, or false.
local player = ARGV[1]
redis.call('HDEL', KEYS[1], player)
if redis.call('HGET', KEYS[2], ARGV[2]) == player then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
redis.call('ZREM', KEYS[3], player)
redis.call('SADD', KEYS[6], player)
redis.call('EXPIRE', KEYS[6], tonumber(ARGV[3]))
local connection = redis.call('HGET', KEYS[4], player)
redis.call('HDEL', KEYS[4], player)
if connection then
  redis.call('HDEL', KEYS[5], connection)
  return connection
end
return false
