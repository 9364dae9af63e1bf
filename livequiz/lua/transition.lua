-- Compare-and-set on the game hash: write the fields only if phase and round are still the ones
-- the caller decided from. A timer of an older question carries an older round, so it can never
-- close the question that is open now. The events the change calls for go into the game's
-- outbox in the same step, so they survive a failed publish and are sent by the next action.
-- The caller takes the outbox lease unless another action holds it, in which case that action
-- publishes these entries too (see release.lua). The lease expires by itself if its holder dies.
-- KEYS[1] game hash  KEYS[2] outbox list  KEYS[3] outbox lease
-- ARGV: expected phase, expected round, game TTL in seconds, lease in milliseconds, lease
--       token, number N of outbox entries, N outbox entries (JSON), then field/value pairs
-- Returns 0 when the game moved on, 1 when applied with the lease taken, 2 when applied while
-- another action holds the lease.
if redis.call('HGET', KEYS[1], 'phase') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'round') ~= ARGV[2] then
  return 0
end
local ttl, lease_ms, token, entries = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local fields = {}
for i = 7 + entries, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if entries == 0 then
  return 1
end
for i = 7, 6 + entries do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
redis.call('EXPIRE', KEYS[2], ttl)
if redis.call('SET', KEYS[3], token, 'NX', 'PX', lease_ms) then
  return 1
end
return 2
