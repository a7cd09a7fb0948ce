-- Bulk load, step 3: household membership of new subscribers, one run of a household bucket at a time.
-- KEYS[1] {p}loading, KEYS[2..4] the change stream's sequence, stream and household tag key (consent_lib.lua),
-- KEYS[5..] the runs' household buckets; ARGV[1..] the chunk's loading ranges (bulk_lib.lua), then per run: its
-- bucket's position in KEYS, k, then k pairs of household id and the new members to append (packed u32 numbers). Ids
-- in a call are distinct.
-- (helpers from view_lib.lua, consent_lib.lua and bulk_lib.lua are prepended)
loading = KEYS[1] -- bulk_lib.lua
notes_keys(KEYS[2], KEYS[3], KEYS[4])
local intact, i = ranges_intact(1)
while i <= #ARGV do
  local key, k = KEYS[tonumber(ARGV[i])], tonumber(ARGV[i + 1])
  local first, last = i + 2, i + 1 + 2 * k
  local names = {}
  for j = 1, k do names[j] = ARGV[first + 2 * j - 2]; note_household(names[j]) end
  local current = redis.call('HMGET', key, unpack(names))
  local any = false
  for j = 1, k do
    if current[j] then any = true break end
  end
  if intact and not any then
    redis.call('HSET', key, unpack(ARGV, first, last))
  else
    local writes = {}
    for j = 1, k do
      local added = ARGV[first + 2 * j - 1]
      if not intact then
        local kept = {}
        for at = 1, #added, 4 do
          local m = sub(added, at, at + 3)
          if still_loading(struct.unpack('>I4', m)) then kept[#kept + 1] = m end
        end
        added = table.concat(kept)
      end
      if #added > 0 then
        writes[#writes + 1] = names[j]
        writes[#writes + 1] = (current[j] or '') .. added
      end
    end
    if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
  end
  i = last + 1
end
note_published()
return 1
