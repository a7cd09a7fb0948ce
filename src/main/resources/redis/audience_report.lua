-- A report's first step, on the global keys (docs/architecture.md, "Redis key layout"): the audience's metadata and
-- the named segments' channels. The count follows, one audience_count.lua call a shard, summed by the caller.
-- KEYS[1] audience metadata, KEYS[2] segment registry. ARGV[1] the caller (advertiser), ARGV[2..] segment ids.
-- Returns {0} unknown or another advertiser's; {1, i} segment i missing; {2, i, channel} segment i of another
-- channel; {3, field, value, ...} the metadata.
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then return { 0 } end
local m = {}
for i = 1, #meta, 2 do m[meta[i]] = meta[i + 1] end
if m['advertiser'] ~= ARGV[1] then return { 0 } end
for i = 2, #ARGV do
  local entry = redis.call('HGET', KEYS[2], ARGV[i])
  if not entry then return { 1, i - 1 } end
  local channel = cjson.decode(entry)['channel']
  if channel ~= m['channel'] then return { 2, i - 1, channel } end
end
local out = { 3 }
for i = 1, #meta do out[#out + 1] = meta[i] end
return out
