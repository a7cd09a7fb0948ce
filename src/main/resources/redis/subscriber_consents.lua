-- Changes some consent flags of one subscriber. ARGV[1] prefix, ARGV[2] record key, ARGV[3] subscriber id,
-- then pairs purpose, '0'|'1'. Returns 1, or 0 when the subscriber is unknown.
-- (helpers from view_lib.lua, audit_lib.lua and subscriber_lib.lua are prepended)
local rec = redis.call('HGET', ARGV[2], ARGV[3])
if not rec then return 0 end
local num = record_number(rec)
local was, now, at = {}, {}, { tv = 1, web = 2, ads_and_data = 3 }
for i = 4, #ARGV, 2 do
  local bit = tonumber(ARGV[i + 1])
  was[at[ARGV[i]]], now[at[ARGV[i]]] = redis.call('SETBIT', p .. 'consent:' .. ARGV[i], num, bit), bit
end
audit_consents(num, was, now, true)
local mask = ''
for k = 1, 3 do mask = mask .. redis.call('GETBIT', p .. 'consent:' .. purposes[k], num) end
note_consent(num, mask)
note_published()
return 1
