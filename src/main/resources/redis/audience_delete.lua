-- Deletes an audience's metadata and members, and tells the replicas' eligibility views in the same step.
-- KEYS[1] metadata hash, KEYS[2] members bitmap, KEYS[3], KEYS[4] the change sequence and stream (view_lib.lua is
-- prepended).
local deleted = redis.call('DEL', KEYS[1], KEYS[2])
view_note(KEYS[3], KEYS[4], { 'b', KEYS[2] })
return deleted
