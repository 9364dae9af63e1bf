-- Compare-and-set on the game hash: write the fields only if phase and round are still the ones
-- the caller decided from. A timer of an older question carries an older round, so it can never
-- close the question that is open now. The events the change calls for go into the game's
-- outbox in the same step, so they survive a failed publish and are sent by the next action.
-- The caller then holds the outbox lease, so no other action publishes the same entries while
-- it does; the lease expires by itself if the caller dies.
-- KEYS[1] game hash  KEYS[2] outbox list  KEYS[3] outbox lease
-- ARGV: expected phase, expected round, game TTL in seconds, lease in milliseconds, number N
--       of outbox entries, N outbox entries (JSON), then field/value pairs to write
if redis.call('HGET', KEYS[1], 'phase') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'round') ~= ARGV[2] then
  return 0
end
local ttl, lease_ms, entries = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fields = {}
for i = 6 + entries, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if entries > 0 then
  for i = 6, 5 + entries do
    redis.call('RPUSH', KEYS[2], ARGV[i])
  end
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('SET', KEYS[3], '1', 'PX', lease_ms)
end
return 1
