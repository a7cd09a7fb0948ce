-- A campaign's targeted set now, as a bitmap: audience members AND every segment AND the campaign purpose's
-- consent AND TV consent. KEYS[1] scratch, KEYS[2..] the bitmaps. Returns the bitmap (empty when any is missing).
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return '' end
end
local others = {}
for i = 2, #KEYS do others[#others + 1] = KEYS[i] end
redis.call('BITOP', 'AND', KEYS[1], unpack(others))
local bits = redis.call('GET', KEYS[1]) or ''
redis.call('DEL', KEYS[1])
return bits
