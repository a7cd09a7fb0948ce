-- Stops a campaign at once: its rule goes (the hot path reads nothing else), then its indexes and record, and the
-- replicas' eligibility views are told in the same step. KEYS[1] rules hash, KEYS[2] the advertiser's set,
-- KEYS[3] the set of all, KEYS[4] the record, KEYS[5], KEYS[6] the change sequence and stream (view_lib.lua is
-- prepended); ARGV[1] campaign id.
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
view_note(KEYS[5], KEYS[6], { 'x', ARGV[1] })
return 1
