-- A bulk load's identifier entries in a base of several shards (docs/scaling.md, "A write across shards"), in one
-- index shard: appends ARGV[i], whole 12-byte entries (IndexEntryFormat: field, global number), to index bucket
-- KEYS[i]. No check here: the home shard's bulk_checked.lua afterwards finds the subscribers a PUT or an erasure took
-- over meanwhile, and until then their 'loading' bit keeps them unmatched. Returns the count of keys.
for i = 1, #KEYS do redis.call('APPEND', KEYS[i], ARGV[i]) end
return #KEYS
