-- Counts the members in the intersection of bitmaps, in one atomic step (a segment replaced meanwhile is seen
-- whole, old or new). KEYS[1] scratch key, KEYS[2..] the bitmaps. A missing bitmap counts as empty.
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return 0 end
end
if #KEYS == 2 then return redis.call('BITCOUNT', KEYS[2]) end
local others = {}
for i = 2, #KEYS do others[#others + 1] = KEYS[i] end
redis.call('BITOP', 'AND', KEYS[1], unpack(others))
local count = redis.call('BITCOUNT', KEYS[1])
redis.call('DEL', KEYS[1])
return count
