-- A replica's eligibility view confirms the changes it applied and renews its lease (see docs/architecture.md,
-- "Eligibility view"). KEYS[1] change sequence, KEYS[2] change stream, KEYS[3] leases (sorted set: replica id by
-- lease end, ms of Redis' clock), KEYS[4] applied (hash: replica id → change number applied).
-- ARGV[1] replica id, ARGV[2] change number applied, ARGV[3] lease length (ms).
-- Replicas whose lease ended are forgotten: writers no longer wait for them, and they no longer serve.
-- The stream is trimmed to what every live replica has yet to apply, plus 1,000 for replicas that are starting.
-- Returns { 1 when the lease was still running before this renewal, else 0; the newest change number;
--           the lowest change number applied by a live replica }.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local was = redis.call('ZSCORE', KEYS[3], ARGV[1])
local running = (was and tonumber(was) > now) and 1 or 0
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[3], gone)
  redis.call('HDEL', KEYS[4], gone)
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
local lowest = tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  lowest = math.min(lowest, tonumber(redis.call('HGET', KEYS[4], id) or '0'))
end
local newest = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', newest - lowest + 1000)
return { running, newest, lowest }
