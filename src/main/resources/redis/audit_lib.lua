-- The audit trail (docs/privacy.md, "Audit trail"): helpers prepended to the scripts that append to {p}audit in the
-- same atomic step as the change they record, so no acknowledged change (a withdrawal, an erasure) is ever missing
-- from it. An entry holds its kind, `at` (Redis' clock: an ISO instant to the
-- millisecond) and counts or the internal subscriber number 'n'; never an identifier, digest, id or token.
-- Also keeps when each subscriber's tv, web and ads_and_data consents last changed, for the right of access (12 bytes:
-- three u32 epoch seconds, most significant byte first; zero: not known), where it costs least (docs/architecture.md,
-- "Consent change times"):
--   {p}consent-made              zset    one member a bulk call, "first:count:seconds" scored by first: the numbers a
--                                        bulk load created together and when (their times until one of them changes)
--   {p}consent-times:{bucket}    hash    beside the record bucket {p}sub:{bucket}: field the number of a subscriber
--                                        of that bucket created one by one or changed since, value the 12 bytes
-- The script names the keys (audit_keys, and a record bucket's times key per call), so these helpers build none.
local audit_stream, consent_made
local function audit_keys(stream, made)
  audit_stream, consent_made = stream, made
end

-- The 12 bytes of num's change times (times_key: the hash beside num's record bucket): its own entry, else its bulk
-- load's time for all three, else zeroes (not known).
local function consent_times_read(num, times_key)
  local own = redis.call('HGET', times_key, num)
  if own then return own end
  local range = redis.call('ZREVRANGEBYSCORE', consent_made, num, '-inf', 'LIMIT', 0, 1)[1]
  if range then
    local first, count, seconds = string.match(range, '^(%d+):(%d+):(%d+)$')
    if num < tonumber(first) + tonumber(count) then return string.rep(struct.pack('>I4', tonumber(seconds)), 3) end
  end
  return string.rep('\0', 12)
end
local audit_purposes = { 'tv', 'web', 'ads_and_data' }
local audit_clock -- { seconds, milliseconds }, read once a call: every entry of one call has the same time
-- Scratch tables for a subscriber's consent bits before and after a change, reused so a bulk reload of millions
-- allocates none per subscriber.
local consents_was, consents_now = {}, {}

local function audit_time()
  if not audit_clock then
    local t = redis.call('TIME')
    audit_clock = { tonumber(t[1]), math.floor(tonumber(t[2]) / 1000) }
  end
  return audit_clock[1], audit_clock[2]
end

-- Epoch seconds as an ISO instant (Lua here has no os.date): the civil-from-days algorithm, proleptic Gregorian.
local function audit_iso(s, ms)
  local days = math.floor(s / 86400)
  local rest = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rest / 3600),
    math.floor(rest % 3600 / 60), rest % 60, ms)
end

-- Appends one entry: kind, at, then `fields` (a flat list of field, value). With retention_ms, entries older than
-- that are trimmed (MINID ~: whole stream nodes at a time; AuditLog's periodic trim is exact).
local function audit_note(kind, fields, retention_ms)
  local s, ms = audit_time()
  local args = { audit_stream }
  local min_id = retention_ms and s * 1000 + ms - retention_ms
  if min_id and min_id > 0 then
    args[2], args[3], args[4] = 'MINID', '~', string.format('%.0f', min_id)
  end
  args[#args + 1] = '*'
  args[#args + 1] = 'kind'
  args[#args + 1] = kind
  args[#args + 1] = 'at'
  args[#args + 1] = audit_iso(s, ms)
  for i = 1, #fields do args[#args + 1] = fields[i] end
  return redis.call('XADD', unpack(args))
end

-- Stamps subscriber num's consent change time: purposes k where changed[k], or all three without `changed` (a new
-- subscriber). The others keep theirs, copied into num's own entry.
local function consent_stamp(num, changed, times_key)
  local stamp = struct.pack('>I4', (audit_time()))
  if not changed then
    redis.call('HSET', times_key, num, stamp .. stamp .. stamp)
    return
  end
  if next(changed) == nil then return end
  local times = consent_times_read(num, times_key)
  local parts = {}
  for k = 1, 3 do parts[k] = changed[k] and stamp or string.sub(times, 4 * k - 3, 4 * k) end
  redis.call('HSET', times_key, num, table.concat(parts))
end

-- The same for count new subscribers numbered from first on (a bulk call's new ones): one member for all of them.
local function consent_stamp_range(first, count)
  redis.call('ZADD', consent_made, first, first .. ':' .. count .. ':' .. (audit_time()))
end

-- Forgets an erased subscriber's change times. Its bulk load's member stays: it names numbers and a time, no longer
-- anyone's once the number's record is gone.
local function consent_unstamp(num, times_key)
  redis.call('HDEL', times_key, num)
end

-- Consents of num went from old_bits to new_bits (tables of three 0/1 for tv, web, ads_and_data): stamps those that
-- changed and appends a 'subscriber.consents' entry naming the purposes granted and withdrawn. Without `always`,
-- nothing is written when nothing changed (a feed sent again); with it, the entry names the purposes set unchanged.
local function audit_consents(num, old_bits, new_bits, always, times_key)
  local granted, withdrawn, unchanged, changed = {}, {}, {}, {}
  for k = 1, 3 do
    if old_bits[k] ~= nil and new_bits[k] ~= nil then
      if old_bits[k] == new_bits[k] then
        unchanged[#unchanged + 1] = audit_purposes[k]
      else
        changed[k] = true
        if new_bits[k] == 1 then granted[#granted + 1] = audit_purposes[k]
        else withdrawn[#withdrawn + 1] = audit_purposes[k] end
      end
    end
  end
  if #granted + #withdrawn == 0 and not always then return end
  consent_stamp(num, changed, times_key)
  audit_note('subscriber.consents', { 'n', num, 'granted', table.concat(granted, ','),
    'withdrawn', table.concat(withdrawn, ','), 'unchanged', table.concat(unchanged, ',') })
end
