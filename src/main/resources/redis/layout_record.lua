-- Records a base's layout the first time a service uses it, and answers it as recorded (docs/architecture.md,
-- "Redis key layout"; BaseLayoutReadiness). KEYS[1] the layout hash; ARGV[1] the bucket bits, ARGV[2] the shard
-- count the service lays a new base out with. A base laid out before the shard count was recorded (it has bucket
-- bits, no shard count) is one shard, whatever the service would choose for a new one.
-- Answers {bucket bits, shards}.
if redis.call('HSETNX', KEYS[1], 'bucket_bits', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'shards', ARGV[2])
else
  redis.call('HSETNX', KEYS[1], 'shards', '1')
end
return redis.call('HMGET', KEYS[1], 'bucket_bits', 'shards')
