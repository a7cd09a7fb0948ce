-- Counts, per segment, the members who may go to Ads & Data now. KEYS[1] scratch, KEYS[2] ads_and_data consent,
-- KEYS[3] live, KEYS[4..] segment bitmaps. Returns one count per segment.
local counts = {}
for i = 4, #KEYS do
  redis.call('BITOP', 'AND', KEYS[1], KEYS[i], KEYS[2], KEYS[3])
  counts[#counts + 1] = redis.call('BITCOUNT', KEYS[1])
end
redis.call('DEL', KEYS[1])
return counts
