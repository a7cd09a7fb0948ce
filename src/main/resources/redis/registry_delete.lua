-- Deletes one entry of a registry and its bitmap together. KEYS[1] registry hash, KEYS[2] bitmap, KEYS[3], KEYS[4]
-- the change sequence and stream (view_lib.lua is prepended); ARGV[1] id. Returns 1 when the entry existed.
redis.call('DEL', KEYS[2])
view_note(KEYS[3], KEYS[4], { 'b', KEYS[2] })
return redis.call('HDEL', KEYS[1], ARGV[1])
