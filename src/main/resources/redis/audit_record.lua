-- Appends one audit entry for the service (AuditLog.record). ARGV[1] key prefix, ARGV[2] retention in ms,
-- ARGV[3] kind, then field, value pairs. Returns the entry id. (audit_lib.lua is prepended)
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
return audit_note(ARGV[3], fields, tonumber(ARGV[2]))
