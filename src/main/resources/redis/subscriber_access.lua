-- What the service holds on one subscriber, for the data-protection officer (docs/privacy.md, "Right of access").
-- A rare call: it reads every segment, audience, campaign and live export cursor, in one atomic step.
-- KEYS[1] the record bucket, KEYS[2] the consent change times beside it, KEYS[3] the bulk loads' creation times
-- (audit_lib.lua), KEYS[4] live, KEYS[5..7] the tv, web and ads_and_data consent bitmaps, KEYS[8] the segment
-- registry, KEYS[9] every audience id, KEYS[10] every campaign id, KEYS[11] the export cursors by expiry; then the
-- keys of what ARGV names, in its order: a segment bitmaps, b audience member bitmaps, c campaign hashes, and for
-- each of d cursors its bitmap and its metadata hash.
-- ARGV[1] subscriber id, ARGV[2] now (ms; live cursors), ARGV[3..6] a, b, c, d, then the a + b + c + d ids.
-- The caller read the four registries just before (AccessStore); when one now names an id it did not give (created
-- meanwhile), the answer is { 'retry' } and it reads them again, so the answer stays one atomic view.
-- Returns false for an unknown (or erased) subscriber, else { number, household id, identifier type bytes,
-- consent mask ('0'/'1' for tv, web, ads_and_data), 12 bytes of consent change times (audit_lib.lua),
-- { segment ids }, audiences including the number, campaigns on those audiences,
-- { segment, key_version, created_at of each live export cursor holding the number, flattened } }.
-- (record_lib.lua, audit_lib.lua and access_lib.lua are prepended)
local a, b, c, d = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
-- The KEYS position of each id ARGV names.
local function positions(first, count, key_from, stride)
  local at = {}
  for i = 1, count do at[ARGV[6 + first + i]] = key_from + stride * (i - 1) end
  return at
end
local segment_at = positions(0, a, 12, 1)
local audience_at = positions(a, b, 12 + a, 1)
local campaign_at = positions(a + b, c, 12 + a + b, 1)
local cursor_at = positions(a + b + c, d, 12 + a + b + c, 2)
local function all_given(ids, at)
  for _, id in ipairs(ids) do
    if not at[id] then return false end
  end
  return true
end
local segment_ids = redis.call('HKEYS', KEYS[8])
local audience_ids = redis.call('SMEMBERS', KEYS[9])
local campaign_ids = redis.call('SMEMBERS', KEYS[10])
local cursor_ids = redis.call('ZRANGEBYSCORE', KEYS[11], ARGV[2], '+inf')
if not (all_given(segment_ids, segment_at) and all_given(audience_ids, audience_at)
    and all_given(campaign_ids, campaign_at) and all_given(cursor_ids, cursor_at)) then
  return { 'retry' }
end

local num, household, types, mask, changed = access_read(ARGV[1]) -- access_lib.lua, prepended
if not num then return false end

local segments = {}
for _, id in ipairs(segment_ids) do
  if redis.call('GETBIT', KEYS[segment_at[id]], num) == 1 then segments[#segments + 1] = id end
end

local in_audience, audiences = {}, 0
for _, id in ipairs(audience_ids) do
  if redis.call('GETBIT', KEYS[audience_at[id]], num) == 1 then
    in_audience[id] = true
    audiences = audiences + 1
  end
end
local campaigns = 0
for _, id in ipairs(campaign_ids) do
  local audience = redis.call('HGET', KEYS[campaign_at[id]], 'audience')
  if audience and in_audience[audience] then campaigns = campaigns + 1 end
end

local exports = {}
for _, cursor in ipairs(cursor_ids) do
  local at = cursor_at[cursor]
  if redis.call('GETBIT', KEYS[at], num) == 1 then
    local meta = redis.call('HMGET', KEYS[at + 1], 'segment', 'key_version', 'created_at')
    if meta[1] then
      exports[#exports + 1] = meta[1]
      exports[#exports + 1] = meta[2] or ''
      exports[#exports + 1] = meta[3] or ''
    end
  end
end
return { num, household, types, mask, changed, segments, audiences, campaigns, exports }
