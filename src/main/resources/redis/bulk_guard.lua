-- Bulk load, step 2 without Lua per entry. BulkLinks sends, for each batch of identifier entries, with Redis'
-- answers off (CLIENT REPLY OFF ... ON): WATCH {p}loading {p}bulk:guard, EVAL this script, MULTI, plain APPENDs,
-- SETBIT of the batch's "applied" mark, EXEC.
-- When a number of the chunk has lost its loading bit (replaced or erased since step 1), or the check itself fails,
-- this script touches {p}bulk:guard, so the EXEC is discarded and the batch is sent again through
-- bulk_identifiers.lua, which leaves those numbers out. Any change to {p}loading after the WATCH discards it too.
-- When the chunk is intact it sets the batch's "checked" mark: a batch found applied but not checked was written
-- without this check (the script could not run) and fails the load. Always sent by body (EVAL): a NOSCRIPT would go
-- unanswered.
-- KEYS[1] {p}loading, KEYS[2] {p}bulk:guard, KEYS[3] the chunk's marks (bit 2b checked, 2b + 1 applied; gone after an
-- hour should the load die before it deletes it); ARGV[1] the batch number b, ARGV[2..] the chunk's loading ranges
-- (bulk_lib.lua).
-- (bulk_lib.lua is prepended)
loading = KEYS[1]
local ok, intact = pcall(ranges_intact, 2)
if ok and intact then
  redis.call('SETBIT', KEYS[3], 2 * tonumber(ARGV[1]), 1)
  redis.call('PEXPIRE', KEYS[3], 3600000)
  return 1
end
redis.call('INCR', KEYS[2])
return 0
