-- Step 1 of a subscriber write in a sharded base (docs/scaling.md, "A write across shards"), in the subscriber's home
-- shard: the record, the live and consent bits, the household tag, the consent times, the audit and change entries,
-- and the relink trace: the number's bit in {p}relinking (readers that go from a digest to a subscriber leave it
-- out meanwhile) and the records it replaces in {p}relink (relink_lib.lua), which step 2 unlinks.
-- KEYS[1] the record bucket, KEYS[2] the consent change times beside it, KEYS[3..14] the fixed keys of
-- subscriber_fixed_keys (subscriber_lib.lua), KEYS[15] relinking, KEYS[16] relink, then the keys ARGV names.
-- ARGV[1] subscriber id, ARGV[2] record tail ('' to erase), ARGV[3] meta (as subscriber_upsert.lua's), ARGV[4] m,
-- ARGV[5..4+m] the names after the shard's key prefix of KEYS[17..16+m]: the number's {p}hhof block.
-- Returns { 1 created, 0 replaced or erased, the local number, the relink trace, the record written ('' erased) },
-- { -1 } when an erasure found no subscriber, or { 'keys', name, ... } when a block was not named (nothing written).
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua, subscriber_lib.lua and
-- relink_lib.lua are prepended)
subscriber_fixed_keys(3)
subscriber_named_keys(4, 17)
local key, times, sid, tail, meta = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', key, sid)
local erase = tail == ''
if erase and not old then return { -1 } end
local num = old and record_number(old) or tonumber(redis.call('GET', sk.seq) or '0')
key_of(hhof_name(num))
if #undeclared > 0 then return ask_for_undeclared() end
local trace = redis.call('HGET', KEYS[16], num) or relink_new(sid)
if old then trace = relink_add(trace, old) end
local rec = ''
if erase then
  redis.call('SADD', sk.erasing, num)
  for k = 1, 3 do redis.call('SETBIT', sk.consent[k], num, 0) end
  redis.call('SETBIT', sk.live, num, 0)
  redis.call('SETBIT', sk.loading, num, 0)
  hhof_write(num, '\0\0\0\0')
  redis.call('HDEL', key, sid)
  consent_unstamp(num, times)
  audit_note('subscriber.erased', { 'n', num })
  note_consent(num, '000')
else
  rec = record_new(num, tail)
  redis.call('HSET', key, sid, rec)
  hhof_write(num, sub(meta, 4, 7))
  if old then
    audit_note('subscriber.replaced', { 'n', num })
    replace_consents(num, meta, times)
  else
    redis.call('SET', sk.seq, num + 1)
    redis.call('SETBIT', sk.live, num, 1)
    for k = 1, 3 do redis.call('SETBIT', sk.consent[k], num, byte(meta, k) - 48) end
    consent_stamp(num, nil, times)
    audit_note('subscriber.created', { 'n', num, 'consents', sub(meta, 1, 3) })
  end
  note_consent(num, meta)
end
redis.call('SETBIT', KEYS[15], num, 1)
redis.call('HSET', KEYS[16], num, trace)
note_published()
return { old and 0 or 1, num, trace, rec }
