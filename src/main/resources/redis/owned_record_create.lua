-- Creates an owned record (an audience, a campaign) with its expiry and indexes it for its owner and for the
-- erasure and eligibility sweeps. KEYS[1] the record hash, KEYS[2] the owner's set, KEYS[3] the set of all,
-- optional KEYS[4] the campaign rules hash, which then gets the campaign's rule under its id (rule_lib.lua), with
-- KEYS[5], KEYS[6] the change sequence and stream that tell the replicas' eligibility views (view_lib.lua).
-- ARGV[1] id, ARGV[2] expiry (ms since epoch), ARGV[3] the packed rule for KEYS[4] (ignored without it), then
-- field/value pairs.
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if KEYS[4] then
  rule_put(KEYS[4], ARGV[1], ARGV[3])
  view_note(KEYS[5], KEYS[6], { 'x', ARGV[1] })
end
return 1
