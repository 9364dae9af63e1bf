-- Close the open question of a round and queue its close event, whose answered count is taken
-- in this same step so that no answer can slip in between the count and the close.
-- KEYS[1] game hash  KEYS[2] answers hash of the question  KEYS[3] outbox list
-- KEYS[4] outbox lease
-- ARGV: expected round, game TTL in seconds, outbox lease in milliseconds, now_ms, the
--       outbox entry of the close split around its answered count (head, tail), lease token.
-- Returns {answered count, 1 if the outbox lease was taken}, or {-1, 0} if the question was no
-- longer open in that round.
local state = redis.call('HMGET', KEYS[1], 'phase', 'round')
if state[1] ~= 'question_open' or state[2] ~= ARGV[1] then
  return {-1, 0}
end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'phase', 'question_closed', 'closed_at_ms', ARGV[4])
redis.call('EXPIRE', KEYS[1], ttl)
local answered = redis.call('HLEN', KEYS[2])
redis.call('RPUSH', KEYS[3], ARGV[5] .. answered .. ARGV[6])
redis.call('EXPIRE', KEYS[3], ttl)
if redis.call('SET', KEYS[4], ARGV[7], 'NX', 'PX', tonumber(ARGV[3])) then
  return {answered, 1}
end
return {answered, 0}
