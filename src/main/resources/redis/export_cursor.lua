-- Takes the export state of one segment in one atomic step: the members who may go to Ads & Data now (in the
-- segment, consenting to ads_and_data, not erased), kept as the new cursor's bitmap, and the bitmap and
-- metadata of the cursor the partner holds (if any).
-- KEYS[1] segment bitmap, KEYS[2] ads_and_data consent bitmap, KEYS[3] live bitmap, KEYS[4] new cursor bitmap,
-- KEYS[5] new cursor metadata, KEYS[6] old cursor bitmap, KEYS[7] old cursor metadata (6 and 7 optional).
-- ARGV[1] retention (ms), then field/value pairs of the new cursor's metadata.
-- Returns {current bitmap, old bitmap or false, old metadata as a flat list (empty when the cursor is unknown)}.
redis.call('BITOP', 'AND', KEYS[4], KEYS[1], KEYS[2], KEYS[3])
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[5], unpack(fields))
redis.call('PEXPIRE', KEYS[5], ARGV[1])
local current = redis.call('GET', KEYS[4]) or ''
if current ~= '' then redis.call('PEXPIRE', KEYS[4], ARGV[1]) end
if #KEYS < 7 then return { current, false, {} } end
local old = redis.call('GET', KEYS[6]) or ''
return { current, old, redis.call('HGETALL', KEYS[7]) }
