-- One advertiser question against its privacy budget, in one atomic step (docs/privacy.md, "Budget").
-- KEYS[1] the question's answer (a string, kept for the answer period), KEYS[2] the advertiser's spending (sorted set:
-- member '<id>:<ε in millionths>', score = when, ms by Redis' clock).
-- ARGV[1] 'ask' or 'peek'; ARGV[2] ε of a fresh answer (millionths); ARGV[3] the budget (millionths);
-- ARGV[4] the budget window (ms); ARGV[5] the answer period (ms); ARGV[6] the candidate answer, drawn before the
-- call and used only when the question is new; ARGV[7] a unique id for the spending entry.
-- Returns { state, answer, budget left (millionths), refill time (ms) }: state 1 = asked before (the stored answer,
-- free), 2 = fresh (the candidate, ε spent), 3 = refused (budget spent), 0 = peek.
-- Whether a question is new depends on the question alone (its key), never on the count behind it.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local eps, budget, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local spent = 0
for i = 1, #entries, 2 do spent = spent + tonumber(string.match(entries[i], ':(%d+)$')) end

-- When one more fresh answer fits again; when it fits now, when the oldest spending leaves the window (0: none).
local function refill_at()
  local need = spent + eps - budget
  if need <= 0 then
    if #entries == 0 then return 0 end
    return tonumber(entries[2]) + window
  end
  local freed = 0
  for i = 1, #entries, 2 do
    freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
    if freed >= need then return tonumber(entries[i + 1]) + window end
  end
  return now + window
end

if ARGV[1] == 'peek' then return { 0, '', budget - spent, refill_at() } end
local asked = redis.call('GET', KEYS[1])
if asked then return { 1, asked, budget - spent, refill_at() } end
if spent + eps > budget then return { 3, '', budget - spent, refill_at() } end
redis.call('ZADD', KEYS[2], now, ARGV[7] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[2], window)
redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[5])
spent = spent + eps
entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
return { 2, ARGV[6], budget - spent, refill_at() }
