-- Resolves a batch of identifiers to subscriber numbers in one call.
-- KEYS the index buckets the batch names (identifier index strings, index_lib.lua), ARGV[1] the rows, 10 bytes
-- each: the position of the row's bucket in KEYS (u16 from 1, most significant byte first), then the 8-byte index
-- field. Returns one string, 4 bytes per row in order: the subscriber number (u32, most significant byte first), or
-- FF FF FF FF where no subscriber has the identifier (numbers stay below 2^31).
-- The caller (consent/SubscriberStore.resolve) sends rows sorted by bucket, so consecutive rows of one bucket are
-- answered from one GET of it; any order is answered correctly. One string back rather than a reply per row: Redis
-- then converts one Lua value, not 2,048.
-- (index_lib.lua is prepended)
local rows = ARGV[1]
local sub, byte, call = string.sub, string.byte, redis.call
local out, n = {}, 0
local o, len = 0, #rows
while o < len do
  local hi, lo = byte(rows, o + 1, o + 2)
  local entries = call('GET', KEYS[hi * 256 + lo])
  local bucket = sub(rows, o + 1, o + 2)
  repeat
    n = n + 1
    out[n] = entries and index_latest(entries, sub(rows, o + 3, o + 10)) or NO_NUMBER
    o = o + 10
  until o >= len or sub(rows, o + 1, o + 2) ~= bucket
end
return table.concat(out)
