-- Clears one subscriber's bit in the bitmaps of one shard a registry names (segments or audiences), for an
-- erasure's clean-up (MemberBits): the caller reads the registry on the global keys and names every bitmap here.
-- KEYS the bitmaps; ARGV[1] the subscriber's number in the shard. A bitmap that does not hold the bit is left as it
-- is (not created). Returns how many bitmaps held the bit.
local cleared = 0
for i = 1, #KEYS do
  if redis.call('GETBIT', KEYS[i], ARGV[1]) == 1 then
    redis.call('SETBIT', KEYS[i], ARGV[1], 0)
    cleared = cleared + 1
  end
end
return cleared
