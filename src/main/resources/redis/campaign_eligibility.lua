-- The ad server's hot path: which of the candidate campaigns a household is eligible for, in one call.
-- A campaign is eligible when it exists, is active at ARGV[2], and at least one member of the household consents
-- to TV now, consents to the campaign's own purpose now, is in its audience and in every one of its segments.
-- KEYS[1] household bucket, KEYS[2..4] the tv, web and ads_and_data consent bitmaps, KEYS[5] campaign rules hash;
-- ARGV[1] household id, ARGV[2] now (ms), ARGV[3] segment key prefix, ARGV[4..] candidate campaign ids (none: every
-- campaign). The audience and segment bitmaps are named by the rules (read from Redis, so not declarable by the
-- caller) and share the rules' slot (docs/architecture.md, "Scripts").
-- A rule is read by rule_lib.lua (prepended; packed by campaign/CampaignRuleFormat.java): its window, its purpose
-- ('t' tv, 'w' web, 'a' ads_and_data), its audience's members key, its segment ids and the members keys of the
-- audiences it excludes (a missing one excludes nobody).
-- Returns the eligible ids, in the order given.
--
-- Written for speed (every TV ad slot asks): the members' bits are read with one BITFIELD per bitmap, shared by
-- every campaign that uses that bitmap, and kept as one integer mask per bitmap (bit k = k-th TV-consenting member),
-- so a campaign is a few AND operations. Masks hold 30 members at most; larger households are taken in groups.
local members = redis.call('HGET', KEYS[1], ARGV[1])
if not members then return {} end
local unpack_struct, band, bnot = struct.unpack, bit.band, bit.bnot

local count = #members / 4
local all = {}
for k = 1, count do
  all[#all + 1] = 'GET'; all[#all + 1] = 'u1'; all[#all + 1] = unpack_struct('>I4', members, k * 4 - 3)
end
local tv = redis.call('BITFIELD_RO', KEYS[2], unpack(all))

-- BITFIELD arguments for each group of at most 30 TV-consenting members.
local groups = {}
local current = nil
for k = 1, count do
  if tv[k] == 1 then
    if current == nil or #current == 90 then current = {}; groups[#groups + 1] = current end
    current[#current + 1] = 'GET'; current[#current + 1] = 'u1'; current[#current + 1] = all[k * 3]
  end
end
if #groups == 0 then return {} end

local masks = {}
for g = 1, #groups do masks[g] = {} end
local function mask(g, key)
  local m = masks[g][key]
  if m == nil then
    local bits = redis.call('BITFIELD_RO', key, unpack(groups[g]))
    m = 0
    for k = #bits, 1, -1 do m = m * 2 + bits[k] end
    masks[g][key] = m
  end
  return m
end

local ids, rules = {}, nil
if #ARGV >= 4 then
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
  rules = redis.call('HMGET', KEYS[5], unpack(ids))
else
  local flat = redis.call('HGETALL', KEYS[5])
  rules = {}
  for i = 1, #flat, 2 do ids[#ids + 1] = flat[i]; rules[#rules + 1] = flat[i + 1] end
end

local PURPOSE = { t = KEYS[2], w = KEYS[3], a = KEYS[4] }
local now = tonumber(ARGV[2])
local segment_prefix = ARGV[3]
local eligible = {}
for c = 1, #ids do
  local rule = rules[c]
  if rule then
    local starts, ends, purpose, audience_key, segments, excluded = rule_read(rule)
    if now >= starts and now < ends then
      local purpose_key = PURPOSE[purpose]
      for g = 1, #groups do
        local acc = band(mask(g, purpose_key), mask(g, audience_key))
        for s = 1, #segments do
          if acc == 0 then break end
          acc = band(acc, mask(g, segment_prefix .. segments[s]))
        end
        for x = 1, #excluded do
          if acc == 0 then break end
          acc = band(acc, bnot(mask(g, excluded[x])))
        end
        if acc ~= 0 then eligible[#eligible + 1] = ids[c]; break end
      end
    end
  end
end
return eligible
