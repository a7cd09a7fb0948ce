-- A bulk load's step 1 in a base of several shards (docs/scaling.md, "A write across shards"), in one home shard, for
-- a batch of its subscribers. A replaced subscriber: what subscriber_home.lua does for one (record, bits, relink
-- trace), and its 'subscriber.consents' entry when its consents changed. A new subscriber: its record and bits and a
-- bit in 'loading' (bulk_lib.lua), no trace; its links are appended afterwards (bulk_append.lua, bulk_households.lua)
-- and the bit cleared by bulk_checked.lua. New subscribers take consecutive numbers and share one consent-times member
-- (consent_stamp_range) and no audit entry each (the load records one).
-- KEYS[1..12] the fixed keys of subscriber_fixed_keys (subscriber_lib.lua), KEYS[13] relinking, KEYS[14] relink,
-- then for each subscriber its record bucket and the consent change times beside it, then the keys ARGV names.
-- ARGV[1] n; then for each subscriber its id, its record tail, its meta (as subscriber_upsert.lua's); then m, and the
-- names after the shard's key prefix of the named keys: the {p}hhof blocks of the numbers.
-- Returns { created flags ('1' created, '0' replaced), then for each subscriber its local number, its relink trace
-- ('' for a new one) and its record }, or { 'keys', name, ... } when a block was not named (nothing written). Ids in one call are
-- distinct. (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua,
-- subscriber_lib.lua and relink_lib.lua are prepended)
subscriber_fixed_keys(1)
local n = tonumber(ARGV[1])
subscriber_named_keys(2 + 3 * n, 15 + 2 * n)
local seq = tonumber(redis.call('GET', sk.seq) or '0')
local olds, nums = {}, {}
local fresh = 0
for s = 1, n do
  olds[s] = redis.call('HGET', KEYS[13 + 2 * s], ARGV[3 * s - 1])
  if olds[s] then
    nums[s] = record_number(olds[s])
  else
    nums[s] = seq + fresh
    fresh = fresh + 1
  end
  key_of(hhof_name(nums[s]))
end
if #undeclared > 0 then return ask_for_undeclared() end
local flags, out = {}, {}
for s = 1, n do
  local key, times = KEYS[13 + 2 * s], KEYS[14 + 2 * s]
  local sid, tail, meta = ARGV[3 * s - 1], ARGV[3 * s], ARGV[3 * s + 1]
  local old, num = olds[s], nums[s]
  local trace = ''
  if old then
    trace = relink_add(redis.call('HGET', KEYS[14], num) or relink_new(sid), old)
  end
  local rec = record_new(num, tail)
  redis.call('HSET', key, sid, rec)
  hhof_write(num, sub(meta, 4, 7))
  if old then
    replace_consents(num, meta, times)
    -- Its links now come from the trace; a load that was still linking it finds it taken over (bulk_checked.lua).
    redis.call('SETBIT', sk.loading, num, 0)
    redis.call('SETBIT', KEYS[13], num, 1)
    redis.call('HSET', KEYS[14], num, trace)
  else
    redis.call('SETBIT', sk.live, num, 1)
    for k = 1, 3 do redis.call('SETBIT', sk.consent[k], num, byte(meta, k) - 48) end
    redis.call('SETBIT', sk.loading, num, 1)
  end
  note_consent(num, meta)
  flags[s] = old and '0' or '1'
  out[#out + 1] = num
  out[#out + 1] = trace
  out[#out + 1] = rec
end
if fresh > 0 then
  redis.call('SET', sk.seq, seq + fresh)
  consent_stamp_range(seq, fresh)
end
note_published()
table.insert(out, 1, table.concat(flags))
return out
