-- Helpers shared by the bulk-load scripts; prepended after subscriber_lib.lua.
-- A bulk load writes a chunk's records first (bulk_records.lua), each new subscriber with a bit in {p}loading, then
-- its identifier and household entries sorted by their own buckets (bulk_identifiers.lua, bulk_households.lua),
-- then clears the bits (bulk_loaded.lua). A replacement or erasure meanwhile clears the subscriber's bit, and the
-- later steps leave out entries of numbers whose bit is gone: they would be stale traces.
local loading = p .. 'loading'

local function bit_of(s, first_byte, n)
  return math.floor(byte(s, math.floor(n / 8) - first_byte + 1) / 2 ^ (7 - n % 8)) % 2
end

-- Reads the ranges at ARGV[at] (a count, then pairs first number, length). Returns true when every bit of every
-- range is still set (the common case: nothing touched the chunk), and the index of the first argument after them.
local function ranges_intact(at)
  local r, intact = tonumber(ARGV[at]), true
  for k = 0, r - 1 do
    local lo = tonumber(ARGV[at + 1 + 2 * k])
    local hi = lo + tonumber(ARGV[at + 2 + 2 * k]) - 1
    local b0, b1 = math.floor(lo / 8), math.floor(hi / 8)
    local s = redis.call('GETRANGE', loading, b0, b1)
    if #s ~= b1 - b0 + 1 then
      intact = false
    else
      if b1 - b0 > 1 and sub(s, 2, b1 - b0) ~= string.rep('\255', b1 - b0 - 1) then intact = false end
      for n = lo, math.min(hi, b0 * 8 + 7) do
        if bit_of(s, b0, n) == 0 then intact = false end
      end
      for n = math.max(lo, b1 * 8), hi do
        if bit_of(s, b0, n) == 0 then intact = false end
      end
    end
    if not intact then break end
  end
  return intact, at + 1 + 2 * r
end

local function still_loading(num)
  return redis.call('GETBIT', loading, num) == 1
end
