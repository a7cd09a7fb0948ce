-- Creates an audience's metadata with its expiry and indexes it. KEYS[1] metadata hash, KEYS[2] the advertiser's
-- audience set, KEYS[3] the set of all audiences. ARGV[1] id, ARGV[2] expiry (ms since epoch), then field/value pairs.
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
