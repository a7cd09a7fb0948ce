-- A report's count in one shard (docs/scaling.md, "Reads"): the members of an audience who consent now to its
-- channel's purpose and are in every named segment, in one atomic step (a segment replaced meanwhile is seen whole).
-- KEYS[1] scratch, KEYS[2] the audience's members bitmap, KEYS[3] the channel's consent bitmap, KEYS[4..] segment
-- bitmaps, all of one shard. A bitmap the shard lacks (no member there, or deleted meanwhile) counts 0.
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return 0 end
end
redis.call('BITOP', 'AND', KEYS[1], unpack(KEYS, 2))
local count = redis.call('BITCOUNT', KEYS[1])
redis.call('DEL', KEYS[1])
return count
