-- Changes some consent flags of one subscriber. ARGV[1] prefix, ARGV[2] record key, ARGV[3] subscriber id,
-- then pairs purpose, '0'|'1'. Returns 1, or 0 when the subscriber is unknown.
-- (helpers from subscriber_lib.lua are prepended)
local rec = redis.call('HGET', ARGV[2], ARGV[3])
if not rec then return 0 end
local num = struct.unpack('>I4', rec)
for i = 4, #ARGV, 2 do
  redis.call('SETBIT', p .. 'consent:' .. ARGV[i], num, tonumber(ARGV[i + 1]))
end
return 1
