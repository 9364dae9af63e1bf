-- Add a player to a game under a nickname that is unique without regard to case.
-- KEYS[1] game hash  KEYS[2] nicknames hash (folded nickname -> player)  KEYS[3] players hash
-- KEYS[4] totals hash  KEYS[5] reached hash  KEYS[6] ranking sorted set  KEYS[7] rank counter
-- ARGV: player, folded nickname, player JSON, RANK_SEQ_SPAN, game TTL in seconds
-- Returns "joined", "nickname_taken", "not_found", "locked" when the host locked the game,
-- "ended", or "started" when the game is past its lobby and refuses late joins.
local state = redis.call('HMGET', KEYS[1], 'phase', 'locked', 'late_join')
local phase = state[1]
if not phase then
  return 'not_found'
end
if phase == 'ended' then
  return 'ended'
end
if state[2] == '1' then
  return 'locked'
end
if phase ~= 'lobby' and state[3] ~= '1' then
  return 'started'
end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then
  return 'nickname_taken'
end
local span, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], 0)
-- A new player "reaches" 0 points when joining, so equal totals of 0 rank by join order.
local seq = redis.call('INCR', KEYS[7])
redis.call('HSET', KEYS[5], ARGV[1], seq)
redis.call('ZADD', KEYS[6], string.format('%.0f', span - 1 - seq), ARGV[1])
for i = 1, 7 do
  redis.call('EXPIRE', KEYS[i], ttl)
end
return 'joined'
