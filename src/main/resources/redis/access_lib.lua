-- The right of access's reading of one subscriber (docs/privacy.md, "Right of access"), shared by subscriber_access.lua
-- (a base of one shard) and subscriber_access_home.lua (the subscriber's home shard of a sharded base); prepended after
-- record_lib.lua and audit_lib.lua. Both scripts take KEYS[1] the record bucket, KEYS[2] the consent change times
-- beside it, KEYS[3] the bulk loads' creation times, KEYS[4] live and KEYS[5..7] the tv, web and ads_and_data consent
-- bitmaps. Returns nil for an unknown (or erased) subscriber, else its number, household id, identifier type bytes,
-- consent mask ('0'/'1' each) and the 12 bytes of its consent change times (audit_lib.lua).
local function access_read(sid)
  local rec = redis.call('HGET', KEYS[1], sid)
  if not rec then return nil end
  local num = record_number(rec)
  if redis.call('GETBIT', KEYS[4], num) == 0 then return nil end
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
  return num, household, types, mask, consent_times_read(num, KEYS[2])
end
