-- Ends an erasure once every store cleared the number's bits (see docs/architecture.md, "Erasure"): removes the
-- number from the pending-erasure set and tells the replicas' eligibility views to clear it in every bitmap copy
-- they hold ('e': u32 numbers). Appended only now, after Redis' bitmaps are clean, so a view that copies a bitmap
-- after this entry copies it without the bit, and one that copied it before clears it here.
-- KEYS[1] pending-erasure set, KEYS[2] change sequence, KEYS[3] change stream; ARGV[1] the subscriber number.
-- Returns 1 when this call ended the erasure, 0 when another had already.
-- (view_lib.lua is prepended)
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
view_note(KEYS[2], KEYS[3], { 'e', view_erased(tonumber(ARGV[1])) })
return 1
