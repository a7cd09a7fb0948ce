-- Adds one upload's matches to an audience, keeping only subscribers who consent to its channel's purpose now.
-- KEYS[1] metadata hash, KEYS[2] members bitmap, KEYS[3] consent bitmap of the channel, KEYS[4] staging key,
-- KEYS[5], KEYS[6] the change sequence and stream (view_lib.lua is prepended).
-- ARGV[1] matched numbers as a bitmap, ARGV[2..5] received, valid, invalid, plaintext_rejected of this upload.
-- Returns 0 when the audience no longer exists (deleted or expired while the upload streamed), else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local expires = redis.call('HGET', KEYS[1], 'expires_ms')
redis.call('SET', KEYS[4], ARGV[1])
redis.call('BITOP', 'AND', KEYS[4], KEYS[4], KEYS[3])
redis.call('BITOP', 'OR', KEYS[2], KEYS[2], KEYS[4])
redis.call('DEL', KEYS[4])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIREAT', KEYS[2], expires) end
redis.call('HINCRBY', KEYS[1], 'received', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'valid', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'invalid', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'plaintext_rejected', ARGV[5])
-- Every accepted upload makes the next report a new question for the privacy budget, matched or not.
redis.call('HINCRBY', KEYS[1], 'version', 1)
view_note(KEYS[5], KEYS[6], { 'b', KEYS[2] })
return 1
