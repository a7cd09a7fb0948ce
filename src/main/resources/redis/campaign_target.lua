-- A campaign's targeted set now, as a bitmap: audience members AND every segment AND the campaign purpose's
-- consent AND TV consent, less the members of every excluded audience.
-- KEYS[1] scratch, KEYS[2 .. ARGV[1] + 1] the bitmaps to AND, then KEYS[ARGV[1] + 2] a second scratch and the
-- excluded audiences' member bitmaps (a missing one excludes nobody). Returns the bitmap (empty when any of the
-- ANDed ones is missing). bitmap_lib.lua is prepended.
local anded = tonumber(ARGV[1])
for i = 2, anded + 1 do
  if redis.call('EXISTS', KEYS[i]) == 0 then return '' end
end
local others = {}
for i = 2, anded + 1 do others[#others + 1] = KEYS[i] end
redis.call('BITOP', 'AND', KEYS[1], unpack(others))
local spare = KEYS[anded + 2]
for i = anded + 3, #KEYS do bitmap_and_not(KEYS[1], KEYS[i], spare) end
local bits = redis.call('GET', KEYS[1]) or ''
redis.call('DEL', KEYS[1])
return bits
