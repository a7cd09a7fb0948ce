-- Replaces a segment's membership in one atomic step: readers see the old bitmap or the new one, never a mix.
-- KEYS[1] staged bitmap, KEYS[2] live-subscriber bitmap, KEYS[3] segment bitmap, KEYS[4] segment registry,
-- KEYS[5], KEYS[6] the change sequence and stream (view_lib.lua is prepended).
-- ARGV[1] segment id, ARGV[2] channel, ARGV[3] identifier type, ARGV[4] update time (ISO-8601), ARGV[5] bitmap.
-- Bits of subscribers erased while the upload streamed are dropped by the AND with the live bitmap.
redis.call('SET', KEYS[1], ARGV[5])
redis.call('BITOP', 'AND', KEYS[1], KEYS[1], KEYS[2])
local members = redis.call('BITCOUNT', KEYS[1])
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('HSET', KEYS[4], ARGV[1], cjson.encode({
  channel = ARGV[2], identifier_type = ARGV[3], members = members, updated_at = ARGV[4] }))
view_note(KEYS[5], KEYS[6], { 'b', KEYS[3] })
return members
