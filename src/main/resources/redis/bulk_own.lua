-- A bulk load's feed sent again in a base of several shards (docs/scaling.md, "A write across shards"), in one index
-- shard: makes each entry's identifier its subscriber's again (index_put: nothing is written when the bucket's only
-- entry for it is already that number), as replacing an unchanged record does in one shard (subscriber_lib.lua,
-- replace_record). KEYS[i] an index bucket, ARGV[i] its 12-byte entries (IndexEntryFormat: field, global number).
-- Returns the count of keys. (helpers from index_lib.lua are prepended)
for i = 1, #KEYS do
  local entries = ARGV[i]
  for at = 1, #entries, 12 do
    index_put(KEYS[i], string.sub(entries, at, at + 7), string.sub(entries, at + 8, at + 11))
  end
end
return #KEYS
