-- Gives back an Idempotency-Key claim, but only the claim this request took (docs/architecture.md, "Redis key
-- layout", idem): a claim that expired and was taken by another request since must stay. KEYS[1] the key, ARGV[1]
-- the claim's value. Returns 1 when it was given back.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
