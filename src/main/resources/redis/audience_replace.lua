-- Replaces an audience's members by one upload's matches who consent to its channel's purpose now, and its upload
-- counts by that upload's, in one atomic step: a report sees the old list or the new one, never a mix.
-- KEYS[1] metadata hash, KEYS[2] members bitmap, KEYS[3] consent bitmap of the channel, KEYS[4] staging key,
-- KEYS[5], KEYS[6] the change sequence and stream (view_lib.lua is prepended).
-- ARGV[1] matched numbers as a bitmap, ARGV[2..5] received, valid, invalid, plaintext_rejected of this upload.
-- Returns 0 when the audience no longer exists, else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local expires = redis.call('HGET', KEYS[1], 'expires_ms')
redis.call('SET', KEYS[4], ARGV[1])
redis.call('BITOP', 'AND', KEYS[4], KEYS[4], KEYS[3])
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('RENAME', KEYS[4], KEYS[2])
  redis.call('PEXPIREAT', KEYS[2], expires)
else
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], 'received', ARGV[2], 'valid', ARGV[3], 'invalid', ARGV[4], 'plaintext_rejected', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'version', 1)
view_note(KEYS[5], KEYS[6], { 'b', KEYS[2] })
return 1
