-- What a replica's eligibility view starts from, with the change number it is current to (all read in one step).
-- KEYS[1] change sequence, KEYS[2..4] the tv, web and ads_and_data consent bitmaps, KEYS[5] the campaign rules,
-- KEYS[6] the change stream, KEYS[7] the view key (household tags: view_lib.lua); ARGV[1] 32 random bytes, the view
-- key should there be none yet. Returns { seq, tv, web, ads_and_data, flat rules (id, rule, ...), the stream's last
-- entry id ('0-0' when none), the view key }; a missing bitmap is an empty string.
redis.call('SET', KEYS[7], ARGV[1], 'NX')
local last = redis.call('XREVRANGE', KEYS[6], '+', '-', 'COUNT', 1)
return { tonumber(redis.call('GET', KEYS[1]) or '0'),
  redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '', redis.call('GET', KEYS[4]) or '',
  redis.call('HGETALL', KEYS[5]), #last > 0 and last[1][1] or '0-0', redis.call('GET', KEYS[7]) }
