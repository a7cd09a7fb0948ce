-- One subscriber's part of the right of access in a base of several shards (docs/privacy.md, "Right of access"), in
-- its home shard: its record, consents and their change times, and which of the named segment, audience and export
-- cursor bitmaps hold it; the registries, the campaigns and the cursors' metadata are the global keys' part
-- (access/ShardedAccess). KEYS[1] the record bucket, KEYS[2] the consent change times beside it, KEYS[3] the bulk
-- loads' creation times (audit_lib.lua), KEYS[4] live, KEYS[5..7] the tv, web and ads_and_data consent bitmaps; then
-- the bitmaps ARGV names, in its order: a segments', b audiences' members, d export cursors'.
-- ARGV[1] subscriber id, ARGV[2..4] a, b, d, then the a + b + d ids.
-- Returns false for an unknown (or erased) subscriber, else { local number, household id, identifier type bytes,
-- consent mask, 12 bytes of consent change times, { segment ids }, { audience ids }, { cursor ids } } holding it.
-- (record_lib.lua, audit_lib.lua and access_lib.lua are prepended)
local num, household, types, mask, changed = access_read(ARGV[1]) -- access_lib.lua, prepended
if not num then return false end
local a, b, d = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function holding(first_id, how_many)
  local out = {}
  for i = 1, how_many do
    if redis.call('GETBIT', KEYS[7 + first_id + i], num) == 1 then out[#out + 1] = ARGV[4 + first_id + i] end
  end
  return out
end
return { num, household, types, mask, changed, holding(0, a), holding(a, b), holding(a + b, d) }
