-- Erases one subscriber from the base: consents, liveness, identifier index, household, record (and its
-- 'loading' bit, so a bulk load still linking it leaves it alone).
-- KEYS[1] the record bucket, KEYS[2] the consent change times beside it (audit_lib.lua), KEYS[3..14] the fixed keys
-- of subscriber_fixed_keys (subscriber_lib.lua), then the keys ARGV names.
-- ARGV[1] subscriber id, ARGV[2] m, ARGV[3..2+m] the names after the key prefix of KEYS[15..14+m]. The caller cannot
-- know the record's index buckets, household bucket and hhof block: a first call with fewer writes nothing and
-- answers { 'keys', name, ... }, and the caller sends it again with those named.
-- Returns { the subscriber number }, or { -1 } when unknown.
-- Segment and audience bitmaps are cleared by their own stores right after (see docs/architecture.md); until they
-- all are, the number waits in {p}erasing, so that a retry or the next start finishes the erasure even though the
-- record that named the number is gone (erasure_finish.lua).
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua and subscriber_lib.lua
-- are prepended)
subscriber_fixed_keys(3)
subscriber_named_keys(2, 15)
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then return { -1 } end
local num = record_number(rec)
local missing = undeclared_of(rec, nil, num)
if #missing > 0 then return ask_for_undeclared() end
redis.call('SADD', sk.erasing, num)
for k = 1, 3 do redis.call('SETBIT', sk.consent[k], num, 0) end
redis.call('SETBIT', sk.live, num, 0)
redis.call('SETBIT', sk.loading, num, 0)
hhof_write(num, '\0\0\0\0')
remove_traces(rec, num)
redis.call('HDEL', KEYS[1], ARGV[1])
consent_unstamp(num, KEYS[2])
audit_note('subscriber.erased', { 'n', num })
note_consent(num, '000')
note_published()
return { num }
