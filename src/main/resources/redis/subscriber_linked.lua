-- Step 3 of subscriber writes in a sharded base (docs/scaling.md, "A write across shards"), in their home shard: each
-- write is linked, so its relink trace goes and readers count the subscriber again; only if the record and the trace
-- are still the ones step 1 left (a later write owns them otherwise, and its own step 3 clears them).
-- KEYS[1] relinking, KEYS[2] relink, then each subscriber's record bucket. ARGV, for each subscriber in KEYS' order:
-- its id, its local number, the record step 1 wrote ('' after an erasure), the trace step 1 left.
-- Returns, for each subscriber, 1 when cleared, 0 when a later write owns the trace.
local out = {}
for s = 1, #KEYS - 2 do
  local id, num, rec, trace = ARGV[4 * s - 3], ARGV[4 * s - 2], ARGV[4 * s - 1], ARGV[4 * s]
  if (redis.call('HGET', KEYS[2 + s], id) or '') == rec and (redis.call('HGET', KEYS[2], num) or '') == trace then
    redis.call('HDEL', KEYS[2], num)
    redis.call('SETBIT', KEYS[1], num, 0)
    out[s] = 1
  else
    out[s] = 0
  end
end
return out
