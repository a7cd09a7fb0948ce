-- What a replica's eligibility view starts from, for one change stream, with the change number it is current to (all
-- read in one step). KEYS[1] the stream's change sequence, KEYS[2] the change stream, KEYS[3] the view key
-- (household tags: view_lib.lua); then, when ARGV[3] holds 'r', the campaign rules hash; then, when ARGV[3] holds
-- 'c', the tv, web and ads_and_data consent bitmaps. ARGV[1] a view key, ARGV[2] 'nx' to store it should there be
-- none yet (a base of one shard, or the global stream), 'set' to store it whatever is there (a shard's stream of a
-- sharded base takes the global stream's key: one key for the whole base, docs/scaling.md "Change streams").
-- Returns { seq, tv, web, ads_and_data, flat rules (id, rule, ...), the stream's last entry id ('0-0' when none), the
-- view key }; a part not asked for, or a missing bitmap, is an empty string (no rules: an empty list).
if ARGV[2] == 'set' then
  redis.call('SET', KEYS[3], ARGV[1])
else
  redis.call('SET', KEYS[3], ARGV[1], 'NX')
end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local next_key = 4
local rules = {}
if string.find(ARGV[3], 'r', 1, true) then
  rules = redis.call('HGETALL', KEYS[next_key])
  next_key = next_key + 1
end
local tv, web, ads = '', '', ''
if string.find(ARGV[3], 'c', 1, true) then
  tv = redis.call('GET', KEYS[next_key]) or ''
  web = redis.call('GET', KEYS[next_key + 1]) or ''
  ads = redis.call('GET', KEYS[next_key + 2]) or ''
end
return { tonumber(redis.call('GET', KEYS[1]) or '0'), tv, web, ads, rules, #last > 0 and last[1][1] or '0-0',
  redis.call('GET', KEYS[3]) }
