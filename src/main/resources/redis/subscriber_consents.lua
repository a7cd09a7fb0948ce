-- Changes some consent flags of one subscriber.
-- KEYS[1] the subscriber's record bucket, KEYS[2] the consent change times beside it (audit_lib.lua), KEYS[3..5] the
-- tv, web and ads_and_data consent bitmaps, KEYS[6] the audit stream, KEYS[7] the bulk loads' creation times
-- (audit_lib.lua), KEYS[8..10] the change stream's sequence, stream and household tag key (consent_lib.lua).
-- ARGV[1] subscriber id, then pairs purpose index (1 tv, 2 web, 3 ads_and_data), '0'|'1'.
-- Returns 1, or 0 when the subscriber is unknown.
-- (helpers from view_lib.lua, audit_lib.lua, record_lib.lua and consent_lib.lua are prepended)
audit_keys(KEYS[6], KEYS[7])
notes_keys(KEYS[8], KEYS[9], KEYS[10])
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then return 0 end
local num = record_number(rec)
local was, now = {}, {}
for i = 2, #ARGV, 2 do
  local k, bit = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  was[k], now[k] = redis.call('SETBIT', KEYS[2 + k], num, bit), bit
end
audit_consents(num, was, now, true, KEYS[2])
local mask = ''
for k = 1, 3 do mask = mask .. redis.call('GETBIT', KEYS[2 + k], num) end
note_consent(num, mask)
note_published()
return 1
