-- Gives a campaign stored before campaign rules existed its rule, only while the campaign still exists and has none:
-- a deletion in between (which removes the rule first, then the record) must not bring it back.
-- KEYS[1] the campaign record, KEYS[2] the rules hash, KEYS[3], KEYS[4] the change sequence and stream
-- (view_lib.lua and rule_lib.lua are prepended); ARGV[1] campaign id, ARGV[2] the packed rule.
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  rule_put(KEYS[2], ARGV[1], ARGV[2])
  view_note(KEYS[3], KEYS[4], { 'x', ARGV[1] })
  return 1
end
return 0
