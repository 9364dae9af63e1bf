-- Release the outbox lease if this caller still holds it. With ARGV[2] = "drained", release only
-- once the outbox is empty, so that entries another action added while this one published are
-- published by this one too: an action that found the lease taken left its entries to it.
-- KEYS[1] outbox list  KEYS[2] outbox lease
-- ARGV: lease token, "drained" or "always"
-- Returns 1 when released, 0 when the outbox still has entries, -1 when the lease is not ours.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return -1
end
if ARGV[2] == 'drained' and redis.call('LLEN', KEYS[1]) > 0 then
  return 0
end
redis.call('DEL', KEYS[2])
return 1
