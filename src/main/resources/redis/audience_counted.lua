-- The global keys' part of a change to an audience's members in a base of several shards, after every shard's
-- (audience_members.lua): the upload's counts, and the version that makes the next report a new question for the
-- privacy budget. KEYS[1] metadata hash. ARGV[1] 'merge', 'replace' or 'remove', ARGV[2..5] received, valid,
-- invalid, plaintext_rejected of the upload. Returns 0 when the audience no longer exists, else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'merge' then
  redis.call('HINCRBY', KEYS[1], 'received', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'valid', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'invalid', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'plaintext_rejected', ARGV[5])
elseif ARGV[1] == 'replace' then
  redis.call('HSET', KEYS[1], 'received', ARGV[2], 'valid', ARGV[3], 'invalid', ARGV[4], 'plaintext_rejected', ARGV[5])
end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1
