-- Resolves a batch of identifiers to subscriber numbers in one call.
-- ARGV[1] index key prefix for one identifier type ("{p}ix:e:"), ARGV[2] the rows, 12 bytes each:
-- 4 hex characters of bucket, then the 8-byte index field. Returns the numbers packed as big-endian i32,
-- -1 where no subscriber has the identifier.
local prefix, rows = ARGV[1], ARGV[2]
local out = {}
for i = 0, #rows / 12 - 1 do
  local o = i * 12
  local v = redis.call('HGET', prefix .. string.sub(rows, o + 1, o + 4), string.sub(rows, o + 5, o + 12))
  out[i + 1] = v and struct.pack('>i4', tonumber(v)) or '\255\255\255\255'
end
return table.concat(out)
