-- Step 3 of a subscriber write in a sharded base (docs/scaling.md, "A write across shards"), in the home shard: the
-- write is linked, so its relink trace goes and readers count the subscriber again; only if the record and the trace
-- are still the ones step 1 left (a later write owns them otherwise, and its own step 3 clears them).
-- KEYS[1] the record bucket, KEYS[2] relinking, KEYS[3] relink. ARGV[1] subscriber id, ARGV[2] the local number,
-- ARGV[3] the record step 1 wrote ('' after an erasure), ARGV[4] the trace step 1 left.
-- Returns 1 when cleared, 0 when a later write owns the trace.
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[3] then return 0 end
if (redis.call('HGET', KEYS[3], ARGV[2]) or '') ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('SETBIT', KEYS[2], ARGV[2], 0)
return 1
