-- What a replica's eligibility view starts from, with the change number it is current to (all read in one step).
-- KEYS[1] change sequence, KEYS[2..4] the tv, web and ads_and_data consent bitmaps, KEYS[5] the campaign rules.
-- Returns { seq, tv, web, ads_and_data, flat rules (id, rule, ...) }; a missing bitmap is an empty string.
return { tonumber(redis.call('GET', KEYS[1]) or '0'),
  redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '', redis.call('GET', KEYS[4]) or '',
  redis.call('HGETALL', KEYS[5]) }
