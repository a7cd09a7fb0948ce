-- Bulk load, step 4: clears the chunk's loading bits. KEYS[1] {p}loading; ARGV[1..] the ranges (bulk_lib.lua: a
-- count, then pairs of first number and length).
-- (bulk_lib.lua is prepended)
loading = KEYS[1] -- bulk_lib.lua
local r = tonumber(ARGV[1])
for k = 0, r - 1 do
  local lo = tonumber(ARGV[2 + 2 * k])
  clear_range(lo, lo + tonumber(ARGV[3 + 2 * k]) - 1)
end
return 1
