-- The ad server's hot path: which of the candidate campaigns a household is eligible for, in one call.
-- A campaign is eligible when it exists, is active at ARGV[3], and at least one member of the household consents
-- to TV now, consents to the campaign's own purpose now, is in its audience and in every one of its segments.
-- ARGV[1] household bucket key, ARGV[2] household id, ARGV[3] now (ms), ARGV[4] consent key prefix,
-- ARGV[5] campaign key prefix, ARGV[6] audience key prefix, ARGV[7] audience members suffix,
-- ARGV[8] segment key prefix, ARGV[9] set of all campaigns (used when no candidates are given),
-- ARGV[10..] candidate campaign ids. Returns the eligible ids, in the order given.
local members = redis.call('HGET', ARGV[1], ARGV[2])
if not members then return {} end
local numbers, tv = {}, {}
local any = false
for i = 1, #members, 4 do
  local n = struct.unpack('>I4', members, i)
  numbers[#numbers + 1] = n
  local ok = redis.call('GETBIT', ARGV[4] .. 'tv', n) == 1
  tv[#tv + 1] = ok
  any = any or ok
end
if not any then return {} end

local candidates = {}
if #ARGV >= 10 then
  for i = 10, #ARGV do candidates[#candidates + 1] = ARGV[i] end
else
  candidates = redis.call('SMEMBERS', ARGV[9])
end

local now = tonumber(ARGV[3])
local purpose_bits = {}
local eligible = {}
for _, id in ipairs(candidates) do
  local c = redis.call('HMGET', ARGV[5] .. id, 'starts_ms', 'ends_ms', 'audience', 'purpose', 'segments')
  if c[1] and now >= tonumber(c[1]) and now < tonumber(c[2]) then
    local audience = ARGV[6] .. c[3] .. ARGV[7]
    for k, n in ipairs(numbers) do
      if tv[k] then
        local key = c[4] .. ':' .. k
        if purpose_bits[key] == nil then
          purpose_bits[key] = redis.call('GETBIT', ARGV[4] .. c[4], n) == 1
        end
        local ok = purpose_bits[key] and redis.call('GETBIT', audience, n) == 1
        if ok and c[5] ~= '' then
          for segment in string.gmatch(c[5], '[^,]+') do
            if redis.call('GETBIT', ARGV[8] .. segment, n) == 0 then ok = false; break end
          end
        end
        if ok then eligible[#eligible + 1] = id; break end
      end
    end
  end
end
return eligible
