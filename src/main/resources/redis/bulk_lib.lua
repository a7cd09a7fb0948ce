-- Helpers shared by the bulk-load scripts; prepended after subscriber_lib.lua.
-- A bulk load writes a chunk's records first (bulk_records.lua), each new subscriber with a bit in {p}loading, then
-- its identifier and household entries sorted by their own buckets (bulk_identifiers.lua, bulk_households.lua),
-- then clears the bits (bulk_loaded.lua). A replacement or erasure meanwhile clears the subscriber's bit, and the
-- later steps leave out entries of numbers whose bit is gone: they would be stale traces.
local loading -- the {p}loading bitmap, named by the script before it calls a helper here

-- Reads the ranges at ARGV[at] (a count, then pairs first number, length). Returns true when every bit of every
-- range is still set (the common case: nothing touched the chunk), and the index of the first argument after them.
-- One BITCOUNT by bit position a range (Redis 7.0 and later): a chunk's range is 64 KB of bitmap, which Lua would
-- have to copy and compare.
local function ranges_intact(at)
  local r, intact = tonumber(ARGV[at]), true
  for k = 0, r - 1 do
    local lo, length = tonumber(ARGV[at + 1 + 2 * k]), tonumber(ARGV[at + 2 + 2 * k])
    if redis.call('BITCOUNT', loading, lo, lo + length - 1, 'BIT') ~= length then
      intact = false
      break
    end
  end
  return intact, at + 1 + 2 * r
end

local function still_loading(num)
  return redis.call('GETBIT', loading, num) == 1
end

-- Clears bits lo..hi of {p}loading: whole bytes inside the range at once, the edges bit by bit. Every number in the
-- range is the caller's chunk's.
local function clear_range(lo, hi)
  local b0, b1 = math.floor(lo / 8), math.floor(hi / 8)
  for n = lo, math.min(hi, b0 * 8 + 7) do redis.call('SETBIT', loading, n, 0) end
  if b1 > b0 then
    for n = b1 * 8, hi do redis.call('SETBIT', loading, n, 0) end
  end
  if b1 - b0 > 1 then redis.call('SETRANGE', loading, b0 + 1, string.rep('\0', b1 - b0 - 1)) end
end
