-- Uploads in flight per caller (docs/architecture.md, "Rate limits"). KEYS[1] the counter; ARGV[1] 'take' or
-- 'give'; for 'take' ARGV[2] the cap and ARGV[3] the lease in ms, the safety net for a replica that dies before it
-- gives its slot back. 'take' returns 1 when a slot was free (and is now taken), 0 when all are taken.
if ARGV[1] == 'take' then
  local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
  if taken >= tonumber(ARGV[2]) then
    return 0
  end
  redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
-- After the lease ran out the counter may be gone or low: never leave it below zero.
if redis.call('DECR', KEYS[1]) <= 0 then
  redis.call('DEL', KEYS[1])
end
return 1
