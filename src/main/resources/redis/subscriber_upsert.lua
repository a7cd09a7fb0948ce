-- Creates or replaces one subscriber. ARGV[1] key prefix, ARGV[2] record key (bucket hash), ARGV[3] subscriber id,
-- ARGV[4] record tail, ARGV[5] meta: consent mask ("tv web ads_and_data" as three '0'/'1') then the household tag
-- (4 bytes: a hash of the household id, zero without one; kept per number in {p}hhof for reach).
-- Record = u32 subscriber number .. tail (record_lib.lua; consent/SubscriberRecordFormat.java writes the tail).
-- A new subscriber gets the next number from {p}seq. Returns 1 created, 0 replaced.
-- Bulk loads use bulk_records.lua and its companions instead.
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua and subscriber_lib.lua
-- are prepended)
local key, sid, tail, meta = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local old = redis.call('HGET', key, sid)
if old then
  audit_note('subscriber.replaced', { 'n', record_number(old) })
  replace_record(key, sid, old, tail, meta)
  flush_household()
  note_published()
  return 0
end
local num = redis.call('INCR', p .. 'seq') - 1
local rec = record_new(num, tail)
redis.call('HSET', key, sid, rec)
add_traces(rec, num)
flush_household()
redis.call('SETBIT', p .. 'live', num, 1)
for k = 1, 3 do redis.call('SETBIT', p .. 'consent:' .. purposes[k], num, byte(meta, k) - 48) end
hhof_write(num, sub(meta, 4, 7))
consent_stamp(num, nil, times_key_of(key))
audit_note('subscriber.created', { 'n', num, 'consents', sub(meta, 1, 3) })
note_consent(num, meta)
note_published()
return 1
