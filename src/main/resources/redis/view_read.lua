-- Reads part of what eligibility needs, with the change number it is current to (in one step).
-- KEYS[1] change sequence; ARGV[1] what: 'bitmaps' (KEYS[2..], a missing one is an empty string), 'rules'
-- (KEYS[2] the rules hash, ARGV[2..] campaign ids, a missing one is false) or 'household' (KEYS[2] the household
-- bucket, ARGV[2] the household id; missing is an empty string). Returns { seq, values... }.
local out = { tonumber(redis.call('GET', KEYS[1]) or '0') }
if ARGV[1] == 'bitmaps' then
  for i = 2, #KEYS do out[i] = redis.call('GET', KEYS[i]) or '' end
elseif ARGV[1] == 'rules' then
  local rules = redis.call('HMGET', KEYS[2], unpack(ARGV, 2))
  for i = 1, #rules do out[i + 1] = rules[i] or '' end
else
  out[2] = redis.call('HGET', KEYS[2], ARGV[2]) or ''
end
return out
