-- A bulk load's check afterwards in a base of several shards (docs/scaling.md, "A write across shards"), in one home
-- shard: clears the loading bits of the chunk's new subscribers there, once their links are written, and answers
-- the numbers whose bit was already clear: a PUT or an erasure took the subscriber over meanwhile, and the links
-- this load appended for it may be stale, so the caller writes them again from the current record.
-- KEYS[1] the shard's {p}loading; ARGV[1] r, then r pairs of first local number and length.
-- Returns the local numbers taken over, in order. (bulk_lib.lua is prepended)
loading = KEYS[1] -- bulk_lib.lua
local lost = {}
local r = tonumber(ARGV[1])
for k = 0, r - 1 do
  local lo, length = tonumber(ARGV[2 + 2 * k]), tonumber(ARGV[3 + 2 * k])
  local hi = lo + length - 1
  if redis.call('BITCOUNT', loading, lo, hi, 'BIT') ~= length then
    for n = lo, hi do
      if redis.call('GETBIT', loading, n) == 0 then lost[#lost + 1] = n end
    end
  end
  clear_range(lo, hi)
end
return lost
