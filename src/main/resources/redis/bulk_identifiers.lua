-- Bulk load, step 2: identifier index entries of new subscribers, one run of an index bucket at a time.
-- ARGV[1] key prefix, ARGV[2..] the chunk's loading ranges (bulk_lib.lua), then per run: index key, k, then k pairs
-- of field (digest bytes 2..9) and subscriber number (decimal).
-- (helpers from subscriber_lib.lua and bulk_lib.lua are prepended)
local intact, i = ranges_intact(2)
while i <= #ARGV do
  local key, k = ARGV[i], tonumber(ARGV[i + 1])
  local first, last = i + 2, i + 1 + 2 * k
  if intact then
    redis.call('HSET', key, unpack(ARGV, first, last))
  else
    local kept = {}
    for j = first, last, 2 do
      if still_loading(tonumber(ARGV[j + 1])) then
        kept[#kept + 1] = ARGV[j]
        kept[#kept + 1] = ARGV[j + 1]
      end
    end
    if #kept > 0 then redis.call('HSET', key, unpack(kept)) end
  end
  i = last + 1
end
return 1
