-- Helper for the change stream that keeps every replica's eligibility view in step (see docs/architecture.md,
-- "Eligibility view"); prepended to the scripts that change what eligibility reads. Each such change appends one
-- entry, in the same atomic step as the change itself, numbered by {p}view:seq without gaps in its field 'n' (a gap
-- tells a replica that it fell behind the trimmed stream and must reload). The entry id is Redis' own ('*'), so the
-- append cannot fail half-way through a write. fields: a flat list of field, value.
-- This file is the one Lua writer of change entries: view_note and the value encoders below. The entry's layout,
-- and the one Java reader, is changes/ChangeEntryFormat.java (ChangeEntryFormatTest runs the one against the other).
local function view_note(seq_key, stream_key, fields)
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', stream_key, 'MAXLEN', '~', 10000, '*', 'n', seq, unpack(fields))
  return seq
end

-- 'c': one subscriber's consent mask (tv, web, ads_and_data: 0 or 1 each); an entry's 'c' is these concatenated.
local function view_consent(num, tv, web, ads)
  return struct.pack('>I4B', num, tv + 2 * web + 4 * ads)
end

-- 'r': a bulk chunk's new subscribers' consents: count numbers from first, then for tv, web and ads_and_data the
-- bits as u32 words (the first bit of a word its highest, the last word as wide as what is left), as the service
-- computed them.
local function view_consent_range(first, count, tv_words, web_words, ads_words)
  return struct.pack('>I4I4', first, count) .. tv_words .. web_words .. ads_words
end

-- 'e': an erased subscriber number; an entry's 'e' is these concatenated.
local function view_erased(num)
  return struct.pack('>I4', num)
end

-- Households whose member list changed are named in the change stream by a keyed tag, never by id: the first 8
-- bytes of HMAC-SHA1(view key, household id), with the view key 32 random bytes in {p}view:key (made once by the
-- first replica's snapshot, view_snapshot.lua). The stream outlives an erasure by thousands of entries; a tag names
-- no one without the key, and a plain hash of an id could be reversed by trying ids. Each replica keys its
-- household cache by the same tag (eligibility/HouseholdTags.java). Returns the 4-byte key id (SHA-1 of the key,
-- so a replica notices a key it does not hold) followed by the distinct ids' tags, or nil when there is no key
-- (then the caller says "every household").
local function view_household_tags(key_name, ids)
  local key = redis.call('GET', key_name)
  if not key or #key ~= 32 then return nil end
  local hexbyte = {}
  for i = 0, 255 do hexbyte[string.format('%02x', i)] = string.char(i) end
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local b = string.byte(key, i) or 0
    ipad[i] = string.char(bit.bxor(b, 0x36))
    opad[i] = string.char(bit.bxor(b, 0x5c))
  end
  ipad, opad = table.concat(ipad), table.concat(opad)
  local out, seen = { (string.sub(redis.sha1hex(key), 1, 8):gsub('%x%x', hexbyte)) }, {}
  for _, id in ipairs(ids) do
    if not seen[id] then
      seen[id] = true
      local inner = redis.sha1hex(ipad .. id):gsub('%x%x', hexbyte)
      out[#out + 1] = (string.sub(redis.sha1hex(opad .. inner), 1, 16):gsub('%x%x', hexbyte))
    end
  end
  return table.concat(out)
end
