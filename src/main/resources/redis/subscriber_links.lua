-- Step 2 of subscriber writes in a sharded base (docs/scaling.md, "A write across shards"), in one shard that holds
-- identifier index buckets or household lists the writes touch: for each subscriber, drops the entries of its old
-- records' identifiers that point at it and that its new record no longer has, moves it out of an old household's
-- list, puts the new record's identifiers (a write makes an identifier its own) and household membership. Only the
-- keys this shard holds are named; the rest is another shard's call. Idempotent: a finisher may run it again.
-- KEYS[1..3] the shard's change sequence, stream and household tag key, then the keys ARGV names.
-- ARGV[1] L, the subscribers; then for each: its global number (4 bytes, as index entries hold it), its new record
-- ('' after an erasure), k, k old records; then m, and the names after the shard's key prefix of KEYS[4..3+m].
-- Returns m. (helpers from view_lib.lua, index_lib.lua, record_lib.lua, consent_lib.lua and subscriber_lib.lua are
-- prepended)
notes_keys(KEYS[1], KEYS[2], KEYS[3])
-- The subscribers: where each one's arguments start; then the names.
local starts, at = {}, 2
for s = 1, tonumber(ARGV[1]) do
  starts[s] = at
  at = at + 3 + tonumber(ARGV[at + 2])
end
local m = tonumber(ARGV[at])
local here = {}
for i = 1, m do here[ARGV[at + i]] = KEYS[3 + i] end

-- The record's identifiers as (name, field) and its household as (name, id), or nothing for ''.
local function links_of(rec)
  local ids, hh_name, hh = {}, nil, nil
  if rec == '' then return ids end
  local count, extra, first = record_identifiers(rec)
  for i = 1, count do
    local kind, high, low, field = record_identifier(rec, first, i)
    ids[#ids + 1] = { index_name(kind, high, low, field, extra), field }
  end
  local hh_high, hh_low, id, hh_len = record_household(rec)
  if hh_len > 0 then hh_name, hh = 'hh:' .. HEX[hh_high] .. HEX[hh_low], id end
  return ids, hh_name, hh
end

local function members_without(list, member)
  local kept = {}
  for i = 1, #list, 4 do
    local mm = sub(list, i, i + 3)
    if mm ~= member then kept[#kept + 1] = mm end
  end
  return table.concat(kept)
end

for _, first in ipairs(starts) do
  local g4, new, k = ARGV[first], ARGV[first + 1], tonumber(ARGV[first + 2])
  local new_ids, new_hh_name, new_hh = links_of(new)
  local keep = {}
  for _, id in ipairs(new_ids) do keep[id[1] .. '\0' .. id[2]] = true end
  for i = 1, k do
    local ids, hh_name, hh = links_of(ARGV[first + 2 + i])
    for _, id in ipairs(ids) do
      local key = here[id[1]]
      if key and not keep[id[1] .. '\0' .. id[2]] then index_drop(key, id[2], g4) end
    end
    if hh and here[hh_name] and not (hh == new_hh and hh_name == new_hh_name) then
      local list = redis.call('HGET', here[hh_name], hh)
      if list then
        local kept = members_without(list, g4)
        if #kept == 0 then redis.call('HDEL', here[hh_name], hh) else redis.call('HSET', here[hh_name], hh, kept) end
        note_household(hh)
      end
    end
  end
  for _, id in ipairs(new_ids) do
    local key = here[id[1]]
    if key then index_put(key, id[2], g4) end
  end
  if new_hh and here[new_hh_name] then
    local list = redis.call('HGET', here[new_hh_name], new_hh) or ''
    if #members_without(list, g4) == #list then
      redis.call('HSET', here[new_hh_name], new_hh, list .. g4)
      note_household(new_hh)
    end
  end
end
note_published()
return m
