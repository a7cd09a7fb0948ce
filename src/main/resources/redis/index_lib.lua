-- The identifier index: one string per bucket, a run of 12-byte entries (8 digest bytes, the field; the subscriber
-- number as u32, most significant byte first). Bulk loads append to it (APPEND, no search: docs/architecture.md);
-- everything else rewrites a bucket whole. A field may appear more than once after a bulk load gave one identifier
-- to two subscribers: the last entry answers. Prepended to every script that reads or writes the index, and the one
-- Lua code that makes or reads an entry; the one Java code is consent/IndexEntryFormat.java (IndexEntryFormatTest
-- runs each against the other's bytes).
local INDEX_ENTRY = 12
local NO_NUMBER = '\255\255\255\255'
local index_find, index_sub = string.find, string.sub

-- A subscriber number as an entry holds it (u32, most significant byte first).
local function index_number4(num)
  return struct.pack('>I4', num)
end

-- One entry: the field (8 digest bytes), then the number as index_number4 gives it.
local function index_entry(field, number4)
  return field .. number4
end

-- How many entries `field` has in a bucket's entries, and where the last one starts (a match counts only at an
-- entry's start: 8 digest bytes may also appear across two entries).
local function index_scan(entries, field)
  local count, last, at = 0, nil, 1
  while true do
    local s = index_find(entries, field, at, true)
    if not s then return count, last end
    if (s - 1) % INDEX_ENTRY == 0 then
      count, last, at = count + 1, s, s + INDEX_ENTRY
    else
      at = s + 1
    end
  end
end

-- The number (4 bytes) of the last entry for `field` in a bucket's entries, or nil.
local function index_latest(entries, field)
  local _, last = index_scan(entries, field)
  return last and index_sub(entries, last + 8, last + 11)
end

-- The entries without those of `field` (only those holding `number4`, when given), or nil when none was there.
local function index_without(entries, field, number4)
  local parts, from, at = nil, 1, 1
  while true do
    local s = index_find(entries, field, at, true)
    if not s then break end
    if (s - 1) % INDEX_ENTRY == 0 then
      if not number4 or index_sub(entries, s + 8, s + 11) == number4 then
        parts = parts or {}
        parts[#parts + 1] = index_sub(entries, from, s - 1)
        from = s + INDEX_ENTRY
      end
      at = s + INDEX_ENTRY
    else
      at = s + 1
    end
  end
  if not parts then return nil end
  parts[#parts + 1] = index_sub(entries, from)
  return table.concat(parts)
end

-- Writes a bucket's entries back (SET from a script allocates them exactly; an empty bucket is no key at all).
local function index_store(key, entries)
  if #entries == 0 then redis.call('DEL', key) else redis.call('SET', key, entries) end
end

-- Drops the entries of `field` that point at `number4` (a subscriber's own, on erasure or replacement).
local function index_drop(key, field, number4)
  local entries = redis.call('GET', key)
  if not entries then return end
  local kept = index_without(entries, field, number4)
  if kept then index_store(key, kept) end
end

-- Makes `field` point at `number4` and nobody else (a PUT: the last writer owns an identifier). Writes nothing when
-- that is already so, as for a record replaced by itself (a feed sent again), without copying the bucket.
local function index_put(key, field, number4)
  local entries = redis.call('GET', key)
  if not entries then
    redis.call('SET', key, index_entry(field, number4))
    return
  end
  local count, last = index_scan(entries, field)
  if count == 1 and index_sub(entries, last + 8, last + 11) == number4 then return end
  index_store(key, (count > 0 and index_without(entries, field, nil) or entries) .. index_entry(field, number4))
end
