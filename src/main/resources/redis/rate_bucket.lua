-- A token bucket per caller (docs/architecture.md, "Rate limits"): takes one token, or says how long until one is
-- there. KEYS[1] the bucket (a hash: t = tokens, at = last refill in ms); ARGV[1] tokens per second, ARGV[2] burst.
-- Redis' own clock, so every replica refills the same bucket at the same pace whatever its own clock says.
-- Returns 0 when the request may go, else the milliseconds to wait.
if redis.replicate_commands then
  redis.replicate_commands()
end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(at))
-- Gone once it would be full again anyway: an idle caller costs no memory.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
