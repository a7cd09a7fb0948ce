-- Removes an upload's matches from an audience (an advertiser's opt-out list), in one atomic step.
-- KEYS[1] metadata hash, KEYS[2] members bitmap, KEYS[3] staging key, KEYS[4], KEYS[5] the change sequence and
-- stream (view_lib.lua and bitmap_lib.lua are prepended). ARGV[1] matched numbers as a bitmap.
-- Returns 0 when the audience no longer exists, else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV[1] > 0 then
  -- The removal's numbers go to the staging key, which then serves as bitmap_and_not's scratch too.
  redis.call('SET', KEYS[3], ARGV[1])
  bitmap_and_not(KEYS[2], KEYS[3], KEYS[3])
  redis.call('DEL', KEYS[3])
end
-- Every accepted change makes the next report a new question for the privacy budget, removed or not.
redis.call('HINCRBY', KEYS[1], 'version', 1)
view_note(KEYS[4], KEYS[5], { 'b', KEYS[2] })
return 1
