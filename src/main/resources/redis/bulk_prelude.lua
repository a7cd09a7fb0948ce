-- What bulk_lib.lua needs from subscriber_lib.lua, for a script that needs nothing else of it (bulk_guard.lua).
local p = ARGV[1]
local byte, sub = string.byte, string.sub
