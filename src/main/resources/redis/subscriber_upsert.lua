-- Creates or replaces a batch of subscribers atomically (one script call = one batch).
-- ARGV[1] key prefix, ARGV[2] count n, then per subscriber 5 values:
--   record key (bucket hash), subscriber id, record tail, consent mask ("tv web ads_and_data" as three '0'/'1'),
--   household tag (4 bytes: a hash of the household id, zero without one; kept per number in {p}hhof for reach)
-- Record = u32 subscriber number .. tail; tail = u16 household bucket, u8 household length, household id,
--   u8 identifier count, then per identifier: type byte ('e'|'p'), u16 index bucket, 8-byte index field.
-- New subscribers get consecutive numbers from {p}seq; their bits are written a range at a time (BITFIELD),
-- which is what makes bulk loads fast. Returns one flag per subscriber: 1 created, 0 replaced.
-- (helpers from subscriber_lib.lua are prepended)
local n = tonumber(ARGV[2])
local base = tonumber(redis.call('GET', p .. 'seq') or '0')
local next_num = base
-- bits of the new range, per bitmap: index 1 = subscriber number base
local fresh = { live = {}, tv = {}, web = {}, ads_and_data = {} }
local fresh_tags = {}

local function mask_bit(mask, k)
  return (string.sub(mask, k, k) == '1') and 1 or 0
end

local created = {}
for i = 0, n - 1 do
  local b = 3 + i * 5
  local key, sid, tail, mask, tag = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local rec = struct.pack('>I4', next_num) .. tail
  if redis.call('HSETNX', key, sid, rec) == 1 then
    local slot = next_num - base + 1
    fresh.live[slot] = 1
    for k = 1, 3 do fresh[purposes[k]][slot] = mask_bit(mask, k) end
    fresh_tags[slot] = tag
    add_traces(rec, next_num)
    next_num = next_num + 1
    created[i + 1] = 1
  else
    local old = redis.call('HGET', key, sid)
    local num = struct.unpack('>I4', old)
    flush_household()
    remove_traces(old, num)
    rec = string.sub(old, 1, 4) .. tail
    redis.call('HSET', key, sid, rec)
    add_traces(rec, num)
    if num >= base then fresh_tags[num - base + 1] = tag else redis.call('SETRANGE', p .. 'hhof', num * 4, tag) end
    for k = 1, 3 do
      if num >= base then
        fresh[purposes[k]][num - base + 1] = mask_bit(mask, k)
      else
        redis.call('SETBIT', p .. 'consent:' .. purposes[k], num, mask_bit(mask, k))
      end
    end
    created[i + 1] = 0
  end
end

-- Writes bits[1..count] at bit offset start, 32 at a time.
local function write_bits(key, start, bits, count)
  local args = {}
  local i = 1
  while i <= count do
    local width = math.min(32, count - i + 1)
    local v = 0
    for j = 0, width - 1 do v = v * 2 + (bits[i + j] or 0) end
    args[#args + 1] = 'SET'
    args[#args + 1] = 'u' .. width
    args[#args + 1] = start + i - 1
    args[#args + 1] = v
    i = i + width
  end
  if #args > 0 then redis.call('BITFIELD', key, unpack(args)) end
end

flush_household()
local added = next_num - base
if added > 0 then
  redis.call('SET', p .. 'seq', next_num)
  write_bits(p .. 'live', base, fresh.live, added)
  for k = 1, 3 do write_bits(p .. 'consent:' .. purposes[k], base, fresh[purposes[k]], added) end
  redis.call('SETRANGE', p .. 'hhof', base * 4, table.concat(fresh_tags))
end
return created
