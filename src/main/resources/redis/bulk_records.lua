-- Bulk load, step 1: creates or replaces a slice of records, one run of a record bucket at a time.
-- KEYS[1..12] the fixed keys of subscriber_fixed_keys (subscriber_lib.lua), then the runs' record buckets, then the
-- keys ARGV names.
-- ARGV[1] n, the number of subscribers; then, one entry per subscriber in argument order:
-- ARGV[2] consent masks (a byte '0' + 1 tv + 2 web + 4 ads_and_data), ARGV[3] household tags (4 bytes),
-- ARGV[4..6] the tv, web and ads_and_data bits as u32 words (the last as wide as what is left);
-- ARGV[7] the first number the caller expects this call to give ({p}seq, if every earlier call created everyone);
-- ARGV[8] m, ARGV[9..8+m] the names after the key prefix of the named keys (index and household buckets, {p}hhof
-- blocks, the consent change times beside a record bucket: 'consent-times:' and the bucket's name), ARGV[9+m] '1'
-- when those name every index bucket the lines link to, '2' when the links live in other shards (a base of several:
-- docs/scaling.md, "A write across shards"), else '0'; then per run:
-- the position of its record bucket in KEYS, k, k pairs of subscriber id and record
-- (record_lib.lua) holding the number the caller expects: the first number plus the subscriber's position. Ids in one
-- call are distinct.
-- The caller names the {p}hhof blocks of the numbers it expects, and, once a load has replaced subscribers, the
-- buckets its lines link to and the change times beside their record buckets. A replaced record's old buckets, or
-- other blocks, it cannot know: the script then writes
-- nothing and answers { 'keys', name, ... }, and the caller sends the call again with those named too.
-- New subscribers get consecutive numbers in argument order, their bits, household tags and a bit in {p}loading
-- (bulk_lib.lua); their identifier and household entries come in the later steps. A replaced subscriber is handled
-- whole here. Returns { first new number, flags, names... }: one character per subscriber, '1' created, '0'
-- replaced, '2' not written: a replacement whose old record needs keys the caller did not give, named after the flags
-- (the caller sends those lines again with them). With links in other shards ('2'), a replaced subscriber whose record
-- is unchanged (a feed sent again) is written here but for its identifiers, flagged '3', and the answer holds after
-- the flags the numbers of those (u32 each, in order): the caller makes their identifiers theirs again in the index
-- shards (bulk_own.lua); one with links that changed is left to the caller ('2').
-- When the caller's numbers hold (the expected first number, nobody replaced), a run's pairs are written as they
-- came, in one HSET: Lua builds no string per subscriber (its arguments are strings enough). Otherwise records get
-- their numbers here.
-- New subscribers' consent change times are stamped in one write (audit_lib.lua); a replaced subscriber whose
-- consents changed gets a 'subscriber.consents' audit entry (replace_record).
-- (helpers from view_lib.lua, audit_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua, subscriber_lib.lua and
-- bulk_lib.lua are prepended)
subscriber_fixed_keys(1)
loading = sk.loading -- bulk_lib.lua
local n, masks, tags = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local names_count = tonumber(ARGV[8])
local first_run = 10 + names_count

-- Reads first, writing nothing: the runs, their records, and whether every key the writes need was given.
-- Per run r (parallel arrays: a table per run would cost a bulk load an allocation a subscriber or so):
local run_key, run_first, run_k, run_ids, run_found = {}, {}, {}, {}, {}
local named_from, runs = 13, 0
local i = first_run
while i <= #ARGV do
  local at, k = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local ids = {}
  for j = 1, k do ids[j] = ARGV[i + 2 * j] end
  runs = runs + 1
  run_key[runs], run_first[runs], run_k[runs], run_ids[runs] = KEYS[at], i + 2, k, ids
  run_found[runs] = redis.call('HMGET', KEYS[at], unpack(ids))
  if at + 1 > named_from then named_from = at + 1 end
  i = i + 2 + 2 * k
end
-- The change times beside a record bucket: {p}sub:{b} -> {p}consent-times:{b}, {b} the key's last part.
local function times_name(record_key)
  return 'consent-times:' .. string.match(record_key, ':([^:]*)$')
end
sk.times_of = function(record_key) return key_of(times_name(record_key)) end
subscriber_named_keys(8, named_from)
local base = tonumber(redis.call('GET', sk.seq) or '0')
local as_sent = base == tonumber(ARGV[7])
-- A replaced subscriber whose keys were not all given waits (flag '2'): the caller sends its line again with them.
local fresh_count, deferred, position, times_checked = 0, {}, 0, 0
-- Whether the caller named every bucket its lines link to (ARGV[8 + m + 1] '1'), or the links live in other shards
-- ('2': a base of several shards, whose caller writes them there).
local links_named = ARGV[first_run - 1] == '1'
sk.links_elsewhere = ARGV[first_run - 1] == '2'
for r = 1, runs do
  local found = run_found[r]
  for j = 1, run_k[r] do
    local old = found[j]
    if old then
      as_sent = false
      local before = #undeclared
      local num = record_number(old)
      local tail = record_tail(ARGV[run_first[r] + 2 * j - 1])
      if (links_named or sk.links_elsewhere) and record_tail(old) == tail
          and redis.call('GETBIT', loading, num) == 0 then
        -- The same identifiers and household as the line (a feed sent again): replace_record only makes the
        -- identifiers its own again, in the index buckets the caller named.
      else
        undeclared_of(record_new(num, tail), old, num)
      end
      if times_checked ~= r then
        key_of(times_name(run_key[r]))
        times_checked = r
      end
      if #undeclared > before then deferred[position + j] = true end
    else
      fresh_count = fresh_count + 1
    end
  end
  position = position + run_k[r]
end
local replacements_asked = #undeclared
if fresh_count > 0 then
  key_of(hhof_name(base))
  key_of(hhof_name(base + fresh_count - 1))
end
-- Another {p}hhof block for the new numbers: nothing is written, the whole call goes again.
if #undeclared > replacements_asked then return ask_for_undeclared() end
-- The answer: the first new number, a flag a subscriber, then the names of the keys the waiting ones need.
local owned = {} -- with links elsewhere: the numbers (u32) of the subscribers flagged '3', in order
local function answer(first, flags)
  local out = ask_for_undeclared()
  out[1] = flags
  if sk.links_elsewhere then table.insert(out, 2, table.concat(owned)) end
  table.insert(out, 1, first)
  return out
end

local next_num = base
local replaced = {} -- by position: '0' replaced, '2' waiting for its keys
position = 0
for r = 1, runs do
  local key, k, first, ids, found = run_key[r], run_k[r], run_first[r], run_ids[r], run_found[r]
  if as_sent then
    redis.call('HSET', key, unpack(ARGV, first, first + 2 * k - 1))
    next_num = next_num + k
  else
    local fresh, f = {}, 0
    for j = 1, k do
      local old = found[j]
      local record = ARGV[first + 2 * j - 1]
      if old and deferred[position + j] then
        replaced[position + j] = '2'
      elseif old then
        local at = position + j
        local mask = byte(masks, at) - 48
        local meta = string.char(48 + mask % 2, 48 + math.floor(mask / 2) % 2, 48 + math.floor(mask / 4) % 2)
          .. sub(tags, 4 * at - 3, 4 * at)
        local num = record_number(old)
        local same = sk.links_elsewhere and record_tail(old) == record_tail(record)
          and redis.call('GETBIT', loading, num) == 0
        replace_record(key, ids[j], old, record_tail(record), meta)
        replaced[at] = '0'
        if same then
          replaced[at] = '3'
          owned[#owned + 1] = struct.pack('>I4', num)
        end
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
end
flush_household()

local added = next_num - base
if added == 0 then
  note_published()
  local flags = {}
  for at = 1, n do flags[at] = replaced[at] end
  return answer(base, table.concat(flags))
end
redis.call('SET', sk.seq, next_num)
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
set_words(sk.live, base, added, ones)
set_words(loading, base, added, ones)

local purposes_words = { ARGV[4], ARGV[5], ARGV[6] }
if added == n then
  -- The usual case, everyone new: numbers follow argument order and the caller's words apply as they are.
  for k = 1, 3 do
    local words = purposes_words[k]
    set_words(sk.consent[k], base, added, function(w) return struct.unpack('>I4', words, 4 * w + 1) end)
  end
  hhof_write(base, tags)
  -- The views take the new numbers' consents as they came: first number, count, then the three word strings.
  note_published({ 'r', view_consent_range(base, added, ARGV[4], ARGV[5], ARGV[6]) })
  return answer(base, string.rep('1', n))
end

-- Some were replaced: the new ones' bits one by one.
local flags, fresh_tags, bits = {}, {}, { {}, {}, {} }
local slot = 0
for at = 1, n do
  if replaced[at] then
    flags[at] = replaced[at]
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
  set_words(sk.consent[k], base, added, function(w, width)
    local v = 0
    for j = 1, width do v = v * 2 + b[32 * w + j] end
    return v
  end)
end
hhof_write(base, table.concat(fresh_tags))
note_published()
return answer(base, table.concat(flags))
