-- Bulk load, step 2 without Lua per entry. BulkChunk sends, for each batch of identifier entries, with Redis'
-- answers off (CLIENT REPLY OFF ... ON): WATCH {p}loading {p}bulk:guard, EVAL this script, MULTI, plain HSETs,
-- SETBIT of the batch's "applied" mark, EXEC.
-- When a number of the chunk has lost its loading bit (replaced or erased since step 1), or the check itself fails,
-- this script touches {p}bulk:guard, so the EXEC is discarded and the batch is sent again through
-- bulk_identifiers.lua, which leaves those numbers out. Any change to {p}loading after the WATCH discards it too.
-- When the chunk is intact it sets the batch's "checked" mark: a batch found applied but not checked was written
-- without this check (the script could not run) and fails the load. Always sent by body (EVAL): a NOSCRIPT would go
-- unanswered.
-- ARGV[1] key prefix, ARGV[2] the chunk's marks key (bit 2b checked, 2b + 1 applied; gone after an hour should the
-- load die before it deletes it), ARGV[3] the batch number b,
-- ARGV[4..] the chunk's loading ranges (bulk_lib.lua).
-- (helpers from bulk_prelude.lua and bulk_lib.lua are prepended)
local ok, intact = pcall(ranges_intact, 4)
if ok and intact then
  redis.call('SETBIT', ARGV[2], 2 * tonumber(ARGV[3]), 1)
  redis.call('PEXPIRE', ARGV[2], 3600000)
  return 1
end
redis.call('INCR', p .. 'bulk:guard')
return 0
