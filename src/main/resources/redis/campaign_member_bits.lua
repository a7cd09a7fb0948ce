-- Eligibility from Redis (when a replica's own view cannot answer), in one shard: the bits of the household's members
-- who live in this shard, in the bitmaps the candidate campaigns read. The service evaluates the rules
-- (campaign/EligibilityRule, the code the views run) with every shard's answer; this script only reads
-- (docs/architecture.md, "Flows", eligibility).
-- KEYS[1..3] the shard's tv, web and ads_and_data consent bitmaps, KEYS[4..] the audience and segment bitmaps the
-- rules name, in the shard (a missing one reads as nobody); ARGV the members' local numbers in the shard.
-- Returns one string a key, its k-th character '1' when the k-th member's bit is set, else '0'. A member who does not
-- consent to TV is eligible for nothing, so only the TV-consenting members' other bits are read (one BITFIELD_RO a
-- bitmap), the others answered '0'; when none consents, only the tv string is answered.
local count = #ARGV
local every = {}
for k = 1, count do
  every[#every + 1] = 'GET'; every[#every + 1] = 'u1'; every[#every + 1] = ARGV[k]
end
local tv = redis.call('BITFIELD_RO', KEYS[1], unpack(every))

local asked, at = {}, {}
for k = 1, count do
  if tv[k] == 1 then
    at[#at + 1] = k
    asked[#asked + 1] = 'GET'; asked[#asked + 1] = 'u1'; asked[#asked + 1] = ARGV[k]
  end
end

local function line(bits, positions)
  local chars = {}
  for k = 1, count do chars[k] = '0' end
  for i = 1, #positions do
    if bits[i] == 1 then chars[positions[i]] = '1' end
  end
  return table.concat(chars)
end

local all = {}
for k = 1, count do all[k] = k end
local out = { line(tv, all) }
if #at == 0 then return out end
for i = 2, #KEYS do
  out[i] = line(redis.call('BITFIELD_RO', KEYS[i], unpack(asked)), at)
end
return out
