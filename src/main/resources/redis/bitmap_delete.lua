-- Deletes a members bitmap (an audience's or a segment's) in one shard, its metadata gone already on the global keys,
-- and tells the replicas' eligibility views in the same step.
-- KEYS[1] the bitmap, KEYS[2], KEYS[3] the shard's change sequence and stream (view_lib.lua is prepended).
local deleted = redis.call('DEL', KEYS[1])
view_note(KEYS[2], KEYS[3], { 'b', KEYS[1] })
return deleted
