-- Resolves a batch of identifiers to subscriber numbers in one call.
-- ARGV[1] index key prefix for one identifier type ("{p}ix:e:"), ARGV[2] the rows, ARGV[3] their length: the
-- bucket's name (4 hex characters, 5 beyond 16 bucket bits), then the 8-byte index field. Returns one string, 4
-- bytes per row in order: the subscriber number (u32, most significant byte first), or FF FF FF FF where no
-- subscriber has the identifier (numbers stay below 2^31).
-- The caller sends rows sorted by bucket, so consecutive rows of one bucket are answered from one GET of it (the
-- bucket's entries, index_lib.lua); any order is answered correctly. One string back rather than a reply per row:
-- Redis then converts one Lua value, not 2,048.
-- (index_lib.lua is prepended)
local prefix, rows, row = ARGV[1], ARGV[2], tonumber(ARGV[3])
local name = row - 8
local sub, call = string.sub, redis.call
local out, n = {}, 0
local o, len = 0, #rows
while o < len do
  local bucket = sub(rows, o + 1, o + name)
  local entries = call('GET', prefix .. bucket)
  repeat
    n = n + 1
    out[n] = entries and index_latest(entries, sub(rows, o + name + 1, o + row)) or NO_NUMBER
    o = o + row
  until o >= len or sub(rows, o + 1, o + name) ~= bucket
end
return table.concat(out)
