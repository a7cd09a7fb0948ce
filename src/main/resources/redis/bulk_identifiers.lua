-- Bulk load, step 2: identifier index entries of new subscribers, one run of an index bucket at a time, appended to
-- the bucket (index_lib.lua). The quiet transactions of BulkChunk do the same with plain APPENDs; this script takes
-- the batches they could not apply, and checks entry by entry when a number of the chunk is no longer loading.
-- KEYS[1] {p}loading, KEYS[2..] the runs' index buckets; ARGV[1..] the chunk's loading ranges (bulk_lib.lua), then
-- per run: its bucket's position in KEYS, k, then k pairs of field (digest bytes 2..9) and subscriber number
-- (decimal).
-- (helpers from index_lib.lua and bulk_lib.lua are prepended)
loading = KEYS[1] -- bulk_lib.lua
local intact, i = ranges_intact(1)
while i <= #ARGV do
  local key, k = KEYS[tonumber(ARGV[i])], tonumber(ARGV[i + 1])
  local first, last = i + 2, i + 1 + 2 * k
  local entries = {}
  for j = first, last, 2 do
    local num = tonumber(ARGV[j + 1])
    if intact or still_loading(num) then entries[#entries + 1] = index_entry(ARGV[j], index_number4(num)) end
  end
  if #entries > 0 then redis.call('APPEND', key, table.concat(entries)) end
  i = last + 1
end
return 1
