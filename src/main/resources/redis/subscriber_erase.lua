-- Erases one subscriber from the base: consents, liveness, identifier index, household, record (and its
-- 'loading' bit, so a bulk load still linking it leaves it alone).
-- ARGV[1] prefix, ARGV[2] record key, ARGV[3] subscriber id. Returns the subscriber number, or -1 when unknown.
-- Segment and audience bitmaps are cleared by their own stores right after (see docs/architecture.md); until they
-- all are, the number waits in {p}erasing, so that a retry or the next start finishes the erasure even though the
-- record that named the number is gone (erasure_finish.lua).
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua and subscriber_lib.lua
-- are prepended)
local rec = redis.call('HGET', ARGV[2], ARGV[3])
if not rec then return -1 end
local num = record_number(rec)
redis.call('SADD', p .. 'erasing', num)
for _, purpose in ipairs(purposes) do
  redis.call('SETBIT', p .. 'consent:' .. purpose, num, 0)
end
redis.call('SETBIT', p .. 'live', num, 0)
redis.call('SETBIT', p .. 'loading', num, 0)
hhof_write(num, '\0\0\0\0')
remove_traces(rec, num)
redis.call('HDEL', ARGV[2], ARGV[3])
consent_unstamp(num, times_key_of(ARGV[2]))
audit_note('subscriber.erased', { 'n', num })
note_consent(num, '000')
note_published()
return num
