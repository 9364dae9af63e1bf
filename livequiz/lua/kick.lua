-- Remove a player from a game for good: out of the players, the ranking and the online
-- players, with their id added to the kicked set that connect checks. Their nickname stays
-- taken in the game, as it does in MySQL. Totals and answers stay, so the report still shows
-- what the player did.
-- KEYS[1] players hash  KEYS[2] ranking sorted set  KEYS[3] online hash
-- KEYS[4] connections hash  KEYS[5] kicked set
-- ARGV: player, game TTL in seconds
-- Returns the player's live connection id, or false.
local player = ARGV[1]
redis.call('HDEL', KEYS[1], player)
redis.call('ZREM', KEYS[2], player)
redis.call('SADD', KEYS[5], player)
redis.call('EXPIRE', KEYS[5], tonumber(ARGV[2]))
local connection = redis.call('HGET', KEYS[3], player)
redis.call('HDEL', KEYS[3], player)
if connection then
  redis.call('HDEL', KEYS[4], connection)
  return connection
end
return false
