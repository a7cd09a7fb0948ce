-- One shard's part of a change to an audience's members in a base of several shards (docs/scaling.md, "Reads"):
-- the upload's matches in this shard, kept only where the subscriber consents to the channel's purpose now and is
-- not between the steps of a write (relinking) or of a bulk load (loading), then added (merge), put in place of the
-- members (replace), or taken out (remove). The metadata (counts, version) is the global keys' part, written after
-- every shard's (audience_counted.lua).
-- KEYS[1] members bitmap, KEYS[2] staging key, KEYS[3] scratch key, KEYS[4], KEYS[5] the shard's change sequence and
-- stream, KEYS[6] the channel's consent bitmap, KEYS[7] relinking, KEYS[8] loading.
-- ARGV[1] 'merge', 'replace' or 'remove'; ARGV[2] the matches' local numbers as a bitmap; ARGV[3] the audience's
-- expiry (ms). Returns 1.
-- (view_lib.lua and bitmap_lib.lua are prepended)
local mode = ARGV[1]
redis.call('SET', KEYS[2], ARGV[2])
if mode ~= 'remove' then
  redis.call('BITOP', 'AND', KEYS[2], KEYS[2], KEYS[6])
  redis.call('BITOP', 'OR', KEYS[3], KEYS[7], KEYS[8])
  bitmap_and_not(KEYS[2], KEYS[3], KEYS[3])
end
if mode == 'merge' then
  redis.call('BITOP', 'OR', KEYS[1], KEYS[1], KEYS[2])
elseif mode == 'replace' then
  if redis.call('STRLEN', KEYS[2]) > 0 then redis.call('RENAME', KEYS[2], KEYS[1]) else redis.call('DEL', KEYS[1]) end
else
  bitmap_and_not(KEYS[1], KEYS[2], KEYS[3])
end
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
view_note(KEYS[4], KEYS[5], { 'b', KEYS[1] })
return 1
