-- Helpers shared by the subscriber scripts; prepended to each of them when they are loaded (after audit_lib.lua,
-- whose audit_consents() records consent changes in the audit trail, index_lib.lua, record_lib.lua, which reads
-- records, and consent_lib.lua). Written for speed: a bulk load runs these for every subscriber.
-- The keys they touch: `sk` holds the fixed ones, and key_of(name) gives the others by their name after the key
-- prefix ('ix:e:1a2b', 'hh:00ff', 'hhof', 'hhof:1'), which a record's contents or a number choose. A script that
-- declares its keys (every one does) fills both from KEYS: subscriber_fixed_keys, subscriber_named_keys.
local sk = { consent = {} }
local key_of

-- For a script that declares its keys: KEYS[at] to KEYS[at + 11] are seq, live, loading, the tv, web and
-- ads_and_data consent bitmaps, erasing, the audit stream, the bulk loads' creation times, and the change stream's
-- sequence, stream and household tag key (the script says where the consent change times of a record bucket are:
-- sk.times_of).
local function subscriber_fixed_keys(at)
  sk.seq, sk.live, sk.loading = KEYS[at], KEYS[at + 1], KEYS[at + 2]
  sk.consent[1], sk.consent[2], sk.consent[3], sk.erasing = KEYS[at + 3], KEYS[at + 4], KEYS[at + 5], KEYS[at + 6]
  audit_keys(KEYS[at + 7], KEYS[at + 8])
  notes_keys(KEYS[at + 9], KEYS[at + 10], KEYS[at + 11])
end

-- And the keys found in records or numbers: ARGV[names_at] of them, named by ARGV[names_at + 1] on (their names after
-- the key prefix), at KEYS[keys_at] on. key_of then answers nil for a name not declared, and notes it in
-- `undeclared`; undeclared_of (below) checks a write's names before it writes anything.
local undeclared = {}
local function subscriber_named_keys(names_at, keys_at)
  local declared = {}
  for i = 1, tonumber(ARGV[names_at]) do declared[ARGV[names_at + i]] = KEYS[keys_at + i - 1] end
  key_of = function(name)
    local key = declared[name]
    if not key then undeclared[#undeclared + 1] = name end
    return key
  end
end

-- {p}hhof: 4 bytes a number, its household's tag (0: none), for campaign reach. In blocks of HHOF_BLOCK numbers
-- (256 MiB): {p}hhof holds numbers 0 to HHOF_BLOCK - 1, {p}hhof:1 the next, and so on, because one Redis string
-- stops at 512 MiB (docs/scaling.md, "The 32-bit numbers and the 512 MiB strings"). The Java reader is
-- consent/SubscriberStore (HOUSEHOLD_TAG_BLOCK, householdTagsKey); HouseholdTagBlocksTest holds the two equal.
local HHOF_BLOCK = 67108864
local function hhof_name(num)
  local block = math.floor(num / HHOF_BLOCK)
  return block == 0 and 'hhof' or 'hhof:' .. block
end
local function hhof_at(num)
  return key_of(hhof_name(num)), (num % HHOF_BLOCK) * 4
end
-- Writes the tags of #tags / 4 consecutive numbers from first: one write a block.
local function hhof_write(first, tags)
  local from, count = 1, #tags / 4
  while count > 0 do
    local key, at = hhof_at(first)
    local here = math.min(count, HHOF_BLOCK - first % HHOF_BLOCK)
    redis.call('SETRANGE', key, at, string.sub(tags, from, from + 4 * here - 1))
    first, count, from = first + here, count - here, from + 4 * here
  end
end

-- For a script that declares its keys: the names a write of record rec over old (nil: none) touches besides the
-- fixed keys (the index buckets and household buckets of both, the number's hhof block), looked up; those the
-- caller did not name are in `undeclared` afterwards. Defined below its helpers.
local undeclared_of

local HEX = {}
for i = 0, 255 do HEX[i] = string.format('%02x', i) end

-- The index key of an identifier (record_identifier: its type, top 16 bucket bits as two bytes, field): beyond 16
-- bucket bits the key's fifth hex digit is the field's leading `extra` bits.
local EXTRA_DIVISOR = { 128, 64, 32, 16 }
local function index_name(kind, high, low, field, extra)
  local name = 'ix:' .. kind .. ':' .. HEX[high] .. HEX[low]
  if extra == 0 then return name end
  return name .. string.format('%x', math.floor(byte(field, 1) / EXTRA_DIVISOR[extra]))
end
local function index_key(kind, high, low, field, extra)
  return key_of(index_name(kind, high, low, field, extra))
end

-- The names (after the prefix) of the index buckets and household bucket record rec links to, appended to out.
local function trace_names(rec, out)
  local count, extra, first = record_identifiers(rec)
  for k = 1, count do
    local kind, high, low, field = record_identifier(rec, first, k)
    out[#out + 1] = index_name(kind, high, low, field, extra)
  end
  local hh_high, hh_low, _, hh_len = record_household(rec)
  if hh_len > 0 then out[#out + 1] = 'hh:' .. HEX[hh_high] .. HEX[hh_low] end
  return out
end

-- Identifier index keys and fields of a record, plus its household key, id and length.
local function traces(rec)
  local keys, fields = {}, {}
  local count, extra, first = record_identifiers(rec)
  for k = 1, count do
    local kind, high, low, field = record_identifier(rec, first, k)
    keys[k] = index_key(kind, high, low, field, extra)
    fields[k] = field
  end
  local hh_high, hh_low, hh, hh_len = record_household(rec)
  return keys, fields, hh_len > 0 and key_of('hh:' .. HEX[hh_high] .. HEX[hh_low]), hh, hh_len
end

-- Drops a record's identifier index entries (only those still pointing at it, and not those in `keep`: identifiers
-- the record's replacement keeps, by key and field) and its household membership.
local function remove_traces(old, num, keep)
  local keys, fields, hh_key, hh, hh_len = traces(old)
  local number4 = record_number4(old)
  for k = 1, #keys do
    if not (keep and keep[keys[k] .. '\0' .. fields[k]]) then index_drop(keys[k], fields[k], number4) end
  end
  if hh_len == 0 then return end
  note_household(hh)
  local members = redis.call('HGET', hh_key, hh)
  if not members then return end
  local kept = {}
  for i = 1, #members, 4 do
    local m = sub(members, i, i + 3)
    if m ~= number4 then kept[#kept + 1] = m end
  end
  if #kept == 0 then redis.call('HDEL', hh_key, hh) else redis.call('HSET', hh_key, hh, table.concat(kept)) end
end

-- Household lists being built: bulk files usually list a household's members one after the other, so the list is
-- read once, extended in memory while the same household continues, and written once when it changes.
local pending_key, pending_field, pending_members = nil, nil, nil

local function flush_household()
  if pending_key then
    redis.call('HSET', pending_key, pending_field, pending_members)
    pending_key = nil
  end
end

-- Makes a record's identifiers its own in the index (index_put: writes nothing where they already are).
local function own_identifiers(rec)
  local count, extra, first = record_identifiers(rec)
  local number4 = record_number4(rec)
  for k = 1, count do
    local kind, high, low, field = record_identifier(rec, first, k)
    index_put(index_key(kind, high, low, field, extra), field, number4)
  end
end

-- Index entries and household membership of a new (PUT) or replaced record.
local function add_traces(rec, num)
  own_identifiers(rec)
  local hh_high, hh_low, hh, hh_len = record_household(rec)
  if hh_len == 0 then return end
  local hh_key, packed = key_of('hh:' .. HEX[hh_high] .. HEX[hh_low]), record_number4(rec)
  note_household(hh)
  if hh_key ~= pending_key or hh ~= pending_field then
    flush_household()
    pending_key, pending_field, pending_members = hh_key, hh, redis.call('HGET', hh_key, hh) or ''
  end
  for i = 1, #pending_members, 4 do
    if sub(pending_members, i, i + 3) == packed then return end
  end
  pending_members = pending_members .. packed
end

-- A replaced subscriber's consents as meta says ('0'/'1' for tv, web, ads_and_data), the changes in the audit trail
-- (audit_consents, times_key: the change times beside its record bucket) and its 'loading' bit cleared, so a bulk load
-- still linking its old identifiers leaves them out (see bulk_records.lua).
local function replace_consents(num, meta, times_key)
  local was, now = consents_was, consents_now
  for k = 1, 3 do
    now[k] = byte(meta, k) - 48
    was[k] = redis.call('SETBIT', sk.consent[k], num, now[k])
  end
  audit_consents(num, was, now, false, times_key)
  redis.call('SETBIT', sk.loading, num, 0)
end

-- Gives an existing record a new tail (identifiers, household) and new consents, keeping its number. meta is the
-- consent mask ('0'/'1' for tv, web, ads_and_data) followed by the 4-byte household tag. Clears the number's
-- 'loading' bit, so a bulk load still linking the old identifiers leaves them out (see bulk_records.lua).
local function replace_record(key, sid, old, tail, meta)
  local num = record_number(old)
  flush_household()
  if record_tail(old) == tail and redis.call('GETBIT', sk.loading, num) == 0 then
    -- The same identifiers and household (a feed sent again): record, household list and tag stay as they are;
    -- identifiers another subscriber took since become this one's again, as a full replacement would make them,
    -- and only consents that changed are noted. A number still loading takes the full path, which links it.
    -- In a base of several shards a bulk load's caller does the owning in the index buckets' shards
    -- (sk.links_elsewhere: bulk_records.lua, bulk_own.lua).
    if not sk.links_elsewhere then own_identifiers(old) end
    local changed, was, now = false, consents_was, consents_now
    for k = 1, 3 do
      now[k] = byte(meta, k) - 48
      was[k] = redis.call('SETBIT', sk.consent[k], num, now[k])
      if was[k] ~= now[k] then changed = true end
    end
    if changed then
      note_consent(num, meta)
      audit_consents(num, was, now, false, sk.times_of(key))
    end
    return
  end
  local rec = record_new(num, tail)
  local keys, fields = traces(rec)
  local keep = {}
  for k = 1, #keys do keep[keys[k] .. '\0' .. fields[k]] = true end
  remove_traces(old, num, keep)
  redis.call('HSET', key, sid, rec)
  add_traces(rec, num)
  hhof_write(num, sub(meta, 4, 7))
  replace_consents(num, meta, sk.times_of(key))
  note_consent(num, meta)
end

undeclared_of = function(rec, old, num)
  local names = trace_names(rec, {})
  if old then trace_names(old, names) end
  names[#names + 1] = hhof_name(num)
  for _, name in ipairs(names) do key_of(name) end
  return undeclared
end

-- The answer of a script that found keys it was not given: it wrote nothing, and names them for the next call.
local function ask_for_undeclared()
  local seen, names = {}, { 'keys' }
  for _, name in ipairs(undeclared) do
    if not seen[name] then
      seen[name] = true
      names[#names + 1] = name
    end
  end
  return names
end
