-- Clears one subscriber's bit in every bitmap a registry names (segments or audiences).
-- ARGV[1] registry key, ARGV[2] 'hash'|'set', ARGV[3] bitmap key prefix, ARGV[4] bitmap key suffix,
-- ARGV[5] subscriber number, ARGV[6] (sets only) suffix of the key whose absence means the entry expired:
-- such entries are pruned from the set. Returns how many bitmaps held the bit.
local ids
if ARGV[2] == 'hash' then ids = redis.call('HKEYS', ARGV[1]) else ids = redis.call('SMEMBERS', ARGV[1]) end
local cleared = 0
for _, id in ipairs(ids) do
  local key = ARGV[3] .. id .. ARGV[4]
  if ARGV[2] == 'set' and redis.call('EXISTS', ARGV[3] .. id .. ARGV[6]) == 0 then
    redis.call('SREM', ARGV[1], id)
  elseif redis.call('GETBIT', key, ARGV[5]) == 1 then
    redis.call('SETBIT', key, ARGV[5], 0)
    cleared = cleared + 1
  end
end
return cleared
