-- Helper shared by scripts that take one bitmap's members out of another (audience removal, campaign exclusions).
-- target := target AND NOT other, with spare as scratch (deleted again; it may be other itself). NOT of a shorter string would clear every
-- bit of target past its end, so the copy of other is padded with zeros to target's length first. A missing other
-- takes nothing out.
local function bitmap_and_not(target, other, spare)
  local length = redis.call('STRLEN', target)
  if length == 0 or redis.call('EXISTS', other) == 0 then return end
  redis.call('SET', spare, redis.call('GET', other))
  if redis.call('STRLEN', spare) < length then redis.call('SETRANGE', spare, length - 1, '\0') end
  redis.call('BITOP', 'NOT', spare, spare)
  redis.call('BITOP', 'AND', target, target, spare)
  redis.call('DEL', spare)
end
