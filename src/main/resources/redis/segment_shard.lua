-- One shard's part of a segment's replacement in a base of several shards (docs/scaling.md, "Reads"): the upload's
-- matches at their local numbers, kept where the subscriber lives and is not between the steps of a write
-- (relinking), become the shard's segment bitmap; the registry is the global keys' part, written after every shard's.
-- KEYS[1] staging key, KEYS[2] live bitmap, KEYS[3] the segment's bitmap, KEYS[4] scratch key, KEYS[5] relinking,
-- KEYS[6], KEYS[7] the shard's change sequence and stream. ARGV[1] the matches as a bitmap.
-- Returns the shard's member count. (view_lib.lua and bitmap_lib.lua are prepended)
redis.call('SET', KEYS[1], ARGV[1])
redis.call('BITOP', 'AND', KEYS[1], KEYS[1], KEYS[2])
bitmap_and_not(KEYS[1], KEYS[5], KEYS[4])
local members = redis.call('BITCOUNT', KEYS[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[3]) else redis.call('DEL', KEYS[3]) end
view_note(KEYS[6], KEYS[7], { 'b', KEYS[3] })
return members
