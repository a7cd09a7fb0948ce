-- Bulk load, step 2 without Lua per entry. BulkChunk sends, for each batch of identifier entries:
--   WATCH {p}loading {p}bulk:guard, EVAL this script, MULTI, plain HSETs, EXEC.
-- When a number of the chunk has lost its loading bit (replaced or erased since step 1), this script touches
-- {p}bulk:guard, so the EXEC is discarded and the batch is sent again through bulk_identifiers.lua, which leaves
-- those numbers out. Any change to {p}loading after the WATCH discards it too. Always sent by body (EVAL): were it
-- missing from the script cache, the HSETs would go through unchecked.
-- ARGV[1] key prefix, ARGV[2..] the chunk's loading ranges (bulk_lib.lua). Returns 1 intact, 0 touched.
-- (helpers from bulk_prelude.lua and bulk_lib.lua are prepended)
local intact = ranges_intact(2)
if intact then return 1 end
redis.call('INCR', p .. 'bulk:guard')
return 0
