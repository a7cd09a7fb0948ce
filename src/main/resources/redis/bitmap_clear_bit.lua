-- Clears one subscriber's bit in every bitmap a registry names (segments or audiences).
-- KEYS[1] the registry; ARGV[1] 'hash'|'set', ARGV[2] bitmap key prefix, ARGV[3] bitmap key suffix,
-- ARGV[4] subscriber number, ARGV[5] (sets only) suffix of the key whose absence means the entry expired:
-- such entries are pruned from the set. Returns how many bitmaps held the bit. The bitmaps' keys are the registry's
-- ids between that prefix and suffix: read from Redis, they cannot be declared by the caller; they share the
-- registry's slot (docs/architecture.md, "Scripts").
local ids
if ARGV[1] == 'hash' then ids = redis.call('HKEYS', KEYS[1]) else ids = redis.call('SMEMBERS', KEYS[1]) end
local cleared = 0
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id .. ARGV[3]
  if ARGV[1] == 'set' and redis.call('EXISTS', ARGV[2] .. id .. ARGV[5]) == 0 then
    redis.call('SREM', KEYS[1], id)
  elseif redis.call('GETBIT', key, ARGV[4]) == 1 then
    redis.call('SETBIT', key, ARGV[4], 0)
    cleared = cleared + 1
  end
end
return cleared
