-- One page of the audit trail, oldest first. KEYS[1] the stream; ARGV[1] first id (inclusive, or '(' id: after it),
-- ARGV[2] last id (inclusive), ARGV[3] kind ('' for every kind), ARGV[4] page size, ARGV[5] most entries to read.
-- Filters by kind here, so a page of a rare kind costs one call; reading stops after ARGV[5] entries, and the
-- caller goes on from the returned cursor. Returns { entries (id, flat fields), cursor or false when no more }.
local key, start, stop, kind = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local limit, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local out, read, last = {}, 0, nil
while read < budget do
  local want = math.min(500, budget - read)
  local batch = redis.call('XRANGE', key, start, stop, 'COUNT', want)
  for _, entry in ipairs(batch) do
    read = read + 1
    last = entry[1]
    local fields, match = entry[2], kind == ''
    for i = 1, #fields - 1, 2 do
      if fields[i] == 'kind' then match = match or fields[i + 1] == kind break end
    end
    if match then
      out[#out + 1] = entry
      if #out == limit then return { out, last } end
    end
  end
  if #batch < want then return { out, false } end
  start = '(' .. last
end
return { out, last or false }
