-- One report in one round trip and one atomic step: the audience's metadata, the named segments' channels, and
-- the count of members who consent now and are in every segment (a segment replaced meanwhile is seen whole).
-- KEYS[1] audience metadata, KEYS[2] members bitmap, KEYS[3] scratch, KEYS[4] segment registry,
-- KEYS[5..] segment bitmaps. ARGV[1] the caller (advertiser), ARGV[2] consent bitmap for tv, ARGV[3] for web,
-- ARGV[4..] segment ids in the order of KEYS[5..].
-- Returns {0} unknown or another advertiser's; {1, i} segment i missing; {2, i, channel} segment i of another
-- channel; {3, count, field, value, ...} the count and the metadata.
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then return { 0 } end
local m = {}
for i = 1, #meta, 2 do m[meta[i]] = meta[i + 1] end
if m['advertiser'] ~= ARGV[1] then return { 0 } end
local bitmaps = { KEYS[2], (m['channel'] == 'tv') and ARGV[2] or ARGV[3] }
for i = 5, #KEYS do
  local entry = redis.call('HGET', KEYS[4], ARGV[i - 1])
  if not entry then return { 1, i - 4 } end
  local channel = cjson.decode(entry)['channel']
  if channel ~= m['channel'] then return { 2, i - 4, channel } end
  bitmaps[#bitmaps + 1] = KEYS[i]
end
local count = 0
local present = true
for _, key in ipairs(bitmaps) do
  if redis.call('EXISTS', key) == 0 then present = false end
end
if present then
  redis.call('BITOP', 'AND', KEYS[3], unpack(bitmaps))
  count = redis.call('BITCOUNT', KEYS[3])
  redis.call('DEL', KEYS[3])
end
local out = { 3, count }
for i = 1, #meta do out[#out + 1] = meta[i] end
return out
