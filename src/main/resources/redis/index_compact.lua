-- Rewrites identifier index buckets whole (index_lib.lua, prepended). KEYS: the buckets.
-- A bucket a bulk load appended to holds up to twice its size (APPEND grows a string by doubling it): SET from a
-- script allocates exactly what it holds. A bucket still in the former layout (a hash of field → decimal number,
-- before the index became entries) is converted. Returns how many buckets were converted.
local converted = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local kind = redis.call('TYPE', key).ok
  if kind == 'string' then
    redis.call('SET', key, redis.call('GET', key))
  elseif kind == 'hash' then
    local all = redis.call('HGETALL', key)
    local entries = {}
    for j = 1, #all, 2 do entries[#entries + 1] = index_entry(all[j], index_number4(tonumber(all[j + 1]))) end
    redis.call('DEL', key)
    if #entries > 0 then redis.call('SET', key, table.concat(entries)) end
    converted = converted + 1
  end
end
return converted
