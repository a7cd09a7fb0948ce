-- Bulk load, step 4: clears the chunk's loading bits. KEYS[1] {p}loading; ARGV[1..] the ranges (bulk_lib.lua: a
-- count, then pairs of first number and length). Every number in a range belongs to this chunk, so whole bytes inside
-- it are cleared at once.
local loading = KEYS[1]
local r = tonumber(ARGV[1])
for k = 0, r - 1 do
  local lo = tonumber(ARGV[2 + 2 * k])
  local hi = lo + tonumber(ARGV[3 + 2 * k]) - 1
  local b0, b1 = math.floor(lo / 8), math.floor(hi / 8)
  local edges = {}
  for n = lo, math.min(hi, b0 * 8 + 7) do edges[#edges + 1] = n end
  if b1 > b0 then
    for n = b1 * 8, hi do edges[#edges + 1] = n end
  end
  if b1 - b0 > 1 then redis.call('SETRANGE', loading, b0 + 1, string.rep('\0', b1 - b0 - 1)) end
  for _, n in ipairs(edges) do redis.call('SETBIT', loading, n, 0) end
end
return 1
