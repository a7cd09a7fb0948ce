-- Resolves a batch of identifiers to subscriber numbers in one call.
-- ARGV[1] index key prefix for one identifier type ("{p}ix:e:"), ARGV[2] the rows, 12 bytes each:
-- 4 hex characters of bucket, then the 8-byte index field. Returns one reply per row, in order: the subscriber
-- number as Redis stores it (decimal), or nil where no subscriber has the identifier.
-- Runs about a microsecond a row, so every local here counts.
local prefix, rows = ARGV[1], ARGV[2]
local sub, call = string.sub, redis.call
local out, n = {}, 0
for o = 0, #rows - 12, 12 do
  n = n + 1
  out[n] = call('HGET', prefix .. sub(rows, o + 1, o + 4), sub(rows, o + 5, o + 12))
end
return out
