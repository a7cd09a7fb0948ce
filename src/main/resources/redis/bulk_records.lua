-- Bulk load, step 1: creates or replaces a slice of records, one run of a record bucket at a time.
-- ARGV[1] key prefix, ARGV[2] n, the number of subscribers; then, one entry per subscriber in argument order:
-- ARGV[3] consent masks (a byte '0' + 1 tv + 2 web + 4 ads_and_data), ARGV[4] household tags (4 bytes),
-- ARGV[5..7] the tv, web and ads_and_data bits as u32 words (the last as wide as what is left);
-- ARGV[8] the first number the caller expects this call to give ({p}seq, if every earlier call created everyone);
-- then per run: record key, k, k pairs of subscriber id and record (record_lib.lua) holding the number the
-- caller expects: the first number plus the subscriber's position. Ids in one call are distinct.
-- New subscribers get consecutive numbers in argument order, their bits, household tags and a bit in {p}loading
-- (bulk_lib.lua); their identifier and household entries come in the later steps. A replaced subscriber is handled
-- whole here. Returns { first new number, flags }: one character per subscriber, '1' created, '0' replaced.
-- While the caller's numbers hold (the expected first number, nobody replaced so far), a run's pairs are written as
-- they came, in one HSET: Lua builds no string per subscriber (its arguments are strings enough). From the first
-- replaced subscriber on, records get their numbers here.
-- New subscribers' consent change times are stamped in one write (audit_lib.lua); a replaced subscriber whose
-- consents changed gets a 'subscriber.consents' audit entry (replace_record).
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, subscriber_lib.lua and bulk_lib.lua are
-- prepended)
local n, masks, tags = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local base = tonumber(redis.call('GET', p .. 'seq') or '0')
local as_sent = base == tonumber(ARGV[8])
local next_num = base
local replaced = {}
local position = 0
local i = 9
while i <= #ARGV do
  local key, k = ARGV[i], tonumber(ARGV[i + 1])
  local first = i + 2
  local ids = {}
  for j = 1, k do ids[j] = ARGV[first + 2 * j - 2] end
  local found = redis.call('HMGET', key, unpack(ids))
  if as_sent then
    for j = 1, k do
      if found[j] then as_sent = false break end
    end
  end
  if as_sent then
    redis.call('HSET', key, unpack(ARGV, first, first + 2 * k - 1))
    next_num = next_num + k
  else
    local fresh, f = {}, 0
    for j = 1, k do
      local old = found[j]
      local record = ARGV[first + 2 * j - 1]
      if old then
        local at = position + j
        local mask = byte(masks, at) - 48
        local meta = string.char(48 + mask % 2, 48 + math.floor(mask / 2) % 2, 48 + math.floor(mask / 4) % 2)
          .. sub(tags, 4 * at - 3, 4 * at)
        replace_record(key, ids[j], old, record_tail(record), meta)
        replaced[at] = true
      else
        fresh[f + 1] = ids[j]
        fresh[f + 2] = record_new(next_num, record_tail(record))
        f = f + 2
        next_num = next_num + 1
      end
    end
    if f > 0 then redis.call('HSET', key, unpack(fresh, 1, f)) end
  end
  position = position + k
  i = first + 2 * k
end
flush_household()

local added = next_num - base
if added == 0 then
  note_published()
  return { base, string.rep('0', n) }
end
redis.call('SET', p .. 'seq', next_num)
consent_stamp_range(base, added)

-- BITFIELD SET of count bits from offset start, given as words (u32 values, the last one narrower).
local function set_words(key, start, count, word)
  local args = {}
  for w = 0, math.floor((count - 1) / 32) do
    local width = math.min(32, count - 32 * w)
    args[#args + 1] = 'SET'
    args[#args + 1] = 'u' .. width
    args[#args + 1] = start + 32 * w
    args[#args + 1] = word(w, width)
  end
  redis.call('BITFIELD', key, unpack(args))
end
local function ones(_, width) return 2 ^ width - 1 end
set_words(p .. 'live', base, added, ones)
set_words(loading, base, added, ones)

local purposes_words = { ARGV[5], ARGV[6], ARGV[7] }
if added == n then
  -- The usual case, everyone new: numbers follow argument order and the caller's words apply as they are.
  for k = 1, 3 do
    local words = purposes_words[k]
    set_words(p .. 'consent:' .. purposes[k], base, added, function(w) return struct.unpack('>I4', words, 4 * w + 1) end)
  end
  hhof_write(base, tags)
  -- The views take the new numbers' consents as they came: first number, count, then the three word strings.
  note_published({ 'r', view_consent_range(base, added, ARGV[5], ARGV[6], ARGV[7]) })
  return { base, string.rep('1', n) }
end

-- Some were replaced: the new ones' bits one by one.
local flags, fresh_tags, bits = {}, {}, { {}, {}, {} }
local slot = 0
for at = 1, n do
  if replaced[at] then
    flags[at] = '0'
  else
    flags[at] = '1'
    slot = slot + 1
    local mask = byte(masks, at) - 48
    bits[1][slot], bits[2][slot], bits[3][slot] = mask % 2, math.floor(mask / 2) % 2, math.floor(mask / 4) % 2
    note_consent(base + slot - 1, string.char(48 + bits[1][slot], 48 + bits[2][slot], 48 + bits[3][slot]))
    fresh_tags[slot] = sub(tags, 4 * at - 3, 4 * at)
  end
end
for k = 1, 3 do
  local b = bits[k]
  set_words(p .. 'consent:' .. purposes[k], base, added, function(w, width)
    local v = 0
    for j = 1, width do v = v * 2 + b[32 * w + j] end
    return v
  end)
end
hhof_write(base, table.concat(fresh_tags))
note_published()
return { base, table.concat(flags) }
