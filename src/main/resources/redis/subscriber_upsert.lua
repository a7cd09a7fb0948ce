-- Creates or replaces one subscriber.
-- KEYS[1] the record bucket, KEYS[2] the consent change times beside it (audit_lib.lua), KEYS[3..14] the fixed keys
-- of subscriber_fixed_keys (subscriber_lib.lua), then the keys ARGV names.
-- ARGV[1] subscriber id, ARGV[2] record tail, ARGV[3] meta: consent mask ("tv web ads_and_data" as three '0'/'1')
-- then the household tag (4 bytes: a hash of the household id, zero without one; kept per number in {p}hhof for
-- reach), ARGV[4] m, ARGV[5..4+m] the names after the key prefix of KEYS[15..14+m]: index buckets, household
-- buckets, {p}hhof blocks.
-- The caller names what the new record links to and the hhof block it expects. What else the write would touch (a
-- replaced record's old identifiers and household, another hhof block) it cannot know: the script then writes
-- nothing and answers { 'keys', name, ... }, and the caller sends it again with those named too.
-- Record = u32 subscriber number .. tail (record_lib.lua; consent/SubscriberRecordFormat.java writes the tail).
-- A new subscriber gets the next number from {p}seq. Returns { 1 } created, { 0 } replaced.
-- Bulk loads use bulk_records.lua and its companions instead.
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua and subscriber_lib.lua
-- are prepended)
subscriber_fixed_keys(3)
subscriber_named_keys(4, 15)
sk.times_of = function() return KEYS[2] end
local key, sid, tail, meta = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', key, sid)
local num = old and record_number(old) or tonumber(redis.call('GET', sk.seq) or '0')
local missing = undeclared_of(record_new(num, tail), old, num)
if #missing > 0 then return ask_for_undeclared() end
if old then
  audit_note('subscriber.replaced', { 'n', num })
  replace_record(key, sid, old, tail, meta)
  flush_household()
  note_published()
  return { 0 }
end
redis.call('SET', sk.seq, num + 1)
local rec = record_new(num, tail)
redis.call('HSET', key, sid, rec)
add_traces(rec, num)
flush_household()
redis.call('SETBIT', sk.live, num, 1)
for k = 1, 3 do redis.call('SETBIT', sk.consent[k], num, byte(meta, k) - 48) end
hhof_write(num, sub(meta, 4, 7))
consent_stamp(num, nil, KEYS[2])
audit_note('subscriber.created', { 'n', num, 'consents', sub(meta, 1, 3) })
note_consent(num, meta)
note_published()
return { 1 }
