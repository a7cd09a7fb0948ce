-- Takes one shard's part of a segment's export state in one atomic step (docs/scaling.md, "Reads"): the members who
-- may go to Ads & Data now (in the segment, consenting to ads_and_data, not erased), kept as the new cursor's bitmap,
-- and the bitmap of the cursor the partner holds (if any). The cursors' metadata is on the global keys (ExportStore).
-- KEYS[1] segment bitmap, KEYS[2] ads_and_data consent bitmap, KEYS[3] live bitmap, KEYS[4] new cursor bitmap,
-- KEYS[5] old cursor bitmap (optional). ARGV[1] when the cursor expires (ms since the epoch): the same instant as its
-- metadata's, so a cursor's bitmap is there whenever its metadata is.
-- Returns {current bitmap, old bitmap or false}.
redis.call('BITOP', 'AND', KEYS[4], KEYS[1], KEYS[2], KEYS[3])
local current = redis.call('GET', KEYS[4]) or ''
if current ~= '' then redis.call('PEXPIREAT', KEYS[4], ARGV[1]) end
if #KEYS < 5 then return { current, false } end
return { current, redis.call('GET', KEYS[5]) or '' }
