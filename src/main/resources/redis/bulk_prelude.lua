-- What bulk_lib.lua needs from subscriber_lib.lua (the key prefix), for a script that needs nothing else of it
-- (bulk_guard.lua).
local p = ARGV[1]
