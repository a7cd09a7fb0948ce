-- One subscriber's part of the right of access in a base of several shards (docs/privacy.md, "Right of access"), in
-- its home shard: its record, consents and their change times, and which of the named segment, audience and export
-- cursor bitmaps hold it; the registries, the campaigns and the cursors' metadata are the global keys' part
-- (access/ShardedAccess). KEYS[1] the record bucket, KEYS[2] the consent change times beside it, KEYS[3] the bulk
-- loads' creation times (audit_lib.lua), KEYS[4] live, KEYS[5..7] the tv, web and ads_and_data consent bitmaps; then
-- the bitmaps ARGV names, in its order: a segments', b audiences' members, d export cursors'.
-- ARGV[1] subscriber id, ARGV[2..4] a, b, d, then the a + b + d ids.
-- Returns false for an unknown (or erased) subscriber, else { local number, household id, identifier type bytes,
-- consent mask, 12 bytes of consent change times, { segment ids }, { audience ids }, { cursor ids } } holding it.
-- (record_lib.lua and audit_lib.lua are prepended)
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then return false end
local num = record_number(rec)
if redis.call('GETBIT', KEYS[4], num) == 0 then return false end
local _, _, household = record_household(rec)
local count, _, first = record_identifiers(rec)
local types = ''
for k = 1, count do
  local t = record_identifier(rec, first, k)
  if not string.find(types, t, 1, true) then types = types .. t end
end
local mask = ''
for k = 5, 7 do mask = mask .. redis.call('GETBIT', KEYS[k], num) end
audit_keys(nil, KEYS[3])
local changed = consent_times_read(num, KEYS[2])
local a, b, d = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function holding(first_id, how_many)
  local out = {}
  for i = 1, how_many do
    if redis.call('GETBIT', KEYS[7 + first_id + i], num) == 1 then out[#out + 1] = ARGV[4 + first_id + i] end
  end
  return out
end
return { num, household, types, mask, changed, holding(0, a), holding(a, b), holding(a + b, d) }
