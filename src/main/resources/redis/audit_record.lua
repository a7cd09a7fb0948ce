-- Appends one audit entry for the service (AuditLog.record). KEYS[1] the audit stream, ARGV[1] retention in ms,
-- ARGV[2] kind, then field, value pairs. Returns the entry id. (audit_lib.lua is prepended)
audit_keys(KEYS[1], nil)
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
return audit_note(ARGV[2], fields, tonumber(ARGV[1]))
