-- Compare-and-set on the game hash: write the fields only if phase and round are still the ones
-- the caller decided from. A timer of an older question carries an older round, so it can never
-- close the question that is open now.
-- KEYS[1] game hash
-- ARGV: expected phase, expected round, game TTL in seconds, then field/value pairs to write
if redis.call('HGET', KEYS[1], 'phase') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'round') ~= ARGV[2] then
  return 0
end
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
