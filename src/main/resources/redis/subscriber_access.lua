-- What the service holds on one subscriber, for the data-protection officer (docs/privacy.md, "Right of access").
-- A rare call: it reads every segment, audience, campaign and live export cursor, in one atomic step.
-- ARGV[1] key prefix, ARGV[2] record key (bucket hash), ARGV[3] subscriber id, ARGV[4] now (ms; live cursors).
-- Returns false for an unknown (or erased) subscriber, else { number, household id, identifier type bytes,
-- consent mask ('0'/'1' for tv, web, ads_and_data), 12 bytes of consent change times (audit_lib.lua),
-- { segment ids }, audiences including the number, campaigns on those audiences,
-- { segment, key_version, created_at of each live export cursor holding the number, flattened } }.
local p = ARGV[1]
local rec = redis.call('HGET', ARGV[2], ARGV[3])
if not rec then return false end
local num = record_number(rec)
if redis.call('GETBIT', p .. 'live', num) == 0 then return false end

-- The record's household and identifier types (record_lib.lua, prepended).
local _, _, household = record_household(rec)
local count, _, first = record_identifiers(rec)
local types = ''
for k = 1, count do
  local t = record_identifier(rec, first, k)
  if not string.find(types, t, 1, true) then types = types .. t end
end

local mask = ''
for _, purpose in ipairs({ 'tv', 'web', 'ads_and_data' }) do
  mask = mask .. redis.call('GETBIT', p .. 'consent:' .. purpose, num)
end
local changed = consent_times_read(num) -- audit_lib.lua, prepended

local segments = {}
for _, id in ipairs(redis.call('HKEYS', p .. 'segments')) do
  if redis.call('GETBIT', p .. 'segment:' .. id, num) == 1 then segments[#segments + 1] = id end
end

local in_audience, audiences = {}, 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'audiences')) do
  if redis.call('GETBIT', p .. 'audience:' .. id .. ':members', num) == 1 then
    in_audience[id] = true
    audiences = audiences + 1
  end
end
local campaigns = 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'campaigns')) do
  local audience = redis.call('HGET', p .. 'campaign:' .. id, 'audience')
  if audience and in_audience[audience] then campaigns = campaigns + 1 end
end

local exports = {}
for _, cursor in ipairs(redis.call('ZRANGEBYSCORE', p .. 'export:cursors', ARGV[4], '+inf')) do
  local key = p .. 'export:cursor:' .. cursor
  if redis.call('GETBIT', key, num) == 1 then
    local meta = redis.call('HMGET', key .. ':meta', 'segment', 'key_version', 'created_at')
    if meta[1] then
      exports[#exports + 1] = meta[1]
      exports[#exports + 1] = meta[2] or ''
      exports[#exports + 1] = meta[3] or ''
    end
  end
end
return { num, household, types, mask, changed, segments, audiences, campaigns, exports }
