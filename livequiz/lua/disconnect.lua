-- Remove a connection from its game. The online entry goes only if it still names this
-- connection: a late $disconnect of a replaced connection must not mark the player offline.
-- KEYS[1] connections hash  KEYS[2] online hash
-- ARGV: connection id, player id or "host"
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
  return 1
end
return 0
