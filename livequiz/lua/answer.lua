-- Record one answer and add its points, atomically, at most once per player per question.
-- KEYS[1] game hash          KEYS[2] answers hash of this question (player -> answer JSON)
-- KEYS[3] totals hash        KEYS[4] reached hash (player -> rank sequence number)
-- KEYS[5] ranking sorted set KEYS[6] rank sequence counter   KEYS[7] online hash (player -> connection)
-- KEYS[8] outbox list          KEYS[9] outbox lease   KEYS[10] streaks hash
-- ARGV: player, round, now_ms, points before the streak bonus, the answer JSON split where
--       its points, bonus and streak go (head, tail), RANK_SEQ_SPAN, game TTL in seconds, the
--       outbox entry of the question's close split around its answered count (head, tail),
--       the outbox lease in milliseconds, the lease token (see transition.lua), then the
--       streak rule: "1" for a right answer, "0" for a wrong one, "-" for an answer that does
--       not count (a poll, a 0x question), the index of the last scored question before this
--       one, this question's index, the bonus per answer in a row and the bonus cap (0 when
--       the game has no streak bonus).
-- A player's streak is kept as "count:question of the last right answer". A right answer
-- continues it only if that question is the scored one just before, so a wrong or missing
-- answer breaks it.
-- Returns {status, total, answered, online, closed, reached, leased, bonus, streak}, where
-- reached is the player's rank sequence number after this answer and leased is 1 when closing
-- took the outbox lease; status is "accepted", "already_answered",
-- "question_not_open" (the question closed or another one opened since the handler read the
-- state) or "too_late".
local player, round, now_ms, points = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local span, ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
local right, streak_prev, question = ARGV[13], ARGV[14], ARGV[15]
local step, cap = tonumber(ARGV[16]), tonumber(ARGV[17])

local state = redis.call('HMGET', KEYS[1], 'phase', 'round', 'deadline_ms')
if state[1] ~= 'question_open' or state[2] ~= round then
  return {'question_not_open', 0, 0, 0, 0, 0, 0, 0, 0}
end
if now_ms > tonumber(state[3]) then
  return {'too_late', 0, 0, 0, 0, 0, 0, 0, 0}
end
if redis.call('HEXISTS', KEYS[2], player) == 1 then
  local total = tonumber(redis.call('HGET', KEYS[3], player) or '0')
  local reached = tonumber(redis.call('HGET', KEYS[4], player) or '0')
  return {'already_answered', total, 0, 0, 0, reached, 0, 0, 0}
end

local streak, bonus = 0, 0
local kept = redis.call('HGET', KEYS[10], player)
if right == '1' then
  streak = 1
  if kept then
    local count, last = string.match(kept, '^(%d+):(-?%d+)$')
    if last == streak_prev then
      streak = tonumber(count) + 1
    end
  end
  bonus = math.min(step * (streak - 1), cap)
  redis.call('HSET', KEYS[10], player, streak .. ':' .. question)
elseif right == '0' then
  redis.call('HDEL', KEYS[10], player)
elseif kept then
  -- An answer that does not count keeps the streak, if a missed question has not broken it.
  local count, last = string.match(kept, '^(%d+):(-?%d+)$')
  if last == streak_prev then
    streak = tonumber(count)
  end
end
redis.call('EXPIRE', KEYS[10], ttl)
points = points + bonus
-- Stored once per player: a duplicate frame or a retried invocation stopped above.
redis.call('HSET', KEYS[2], player,
  ARGV[5] .. '"points":' .. points .. ',"bonus":' .. bonus .. ',"streak":' .. streak .. ARGV[6])
redis.call('EXPIRE', KEYS[2], ttl)

local total = redis.call('HINCRBY', KEYS[3], player, points)
local reached = tonumber(redis.call('HGET', KEYS[4], player) or '0')
if points > 0 then
  local seq = redis.call('INCR', KEYS[6])
  reached = seq
  redis.call('HSET', KEYS[4], player, seq)
  -- %.0f keeps every digit; tostring would round the score to 14 significant digits.
  redis.call('ZADD', KEYS[5], string.format('%.0f', total * span + (span - 1 - seq)), player)
end

-- The question closes early once every connected player has answered. The counts are compared
-- first so that the scan over the online players runs only when closing is possible.
local answered = redis.call('HLEN', KEYS[2])
local online = redis.call('HLEN', KEYS[7])
local closed, leased = 0, 0
if answered >= online then
  closed = 1
  for _, online_player in ipairs(redis.call('HKEYS', KEYS[7])) do
    if redis.call('HEXISTS', KEYS[2], online_player) == 0 then
      closed = 0
      break
    end
  end
  if closed == 1 then
    redis.call('HSET', KEYS[1], 'phase', 'question_closed', 'closed_at_ms', now_ms)
    -- The close event goes into the outbox in this same step, so a failed publish cannot lose it.
    redis.call('RPUSH', KEYS[8], ARGV[9] .. answered .. ARGV[10])
    redis.call('EXPIRE', KEYS[8], ttl)
    if redis.call('SET', KEYS[9], ARGV[12], 'NX', 'PX', tonumber(ARGV[11])) then
      leased = 1
    end
  end
end
return {'accepted', total, answered, online, closed, reached, leased, bonus, streak}
