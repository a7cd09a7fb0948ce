-- Has every live replica's eligibility view applied change number ARGV[1] ('' for the newest)?
-- KEYS[1] change sequence, KEYS[2] leases, KEYS[3] applied (see view_ack.lua).
-- Returns { the change number asked about, the lowest applied by a live replica (that number when none is live) }.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local target = tonumber(ARGV[1]) or tonumber(redis.call('GET', KEYS[1]) or '0')
local lowest = target
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')) do
  lowest = math.min(lowest, tonumber(redis.call('HGET', KEYS[3], id) or '0'))
end
return { target, lowest }
