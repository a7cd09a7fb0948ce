-- The relink trace of a sharded subscriber write (docs/scaling.md, "A write across shards"): what step 1 leaves in
-- the home shard's {p}relink hash (field: the local number) for step 2 to undo and step 3 to clear. The value is the
-- subscriber id, then every record the subscriber had before the writes not linked yet, each after its length
-- (u16, most significant byte first). The one Lua code that makes or reads it; the one Java reader is
-- consent/RelinkTrace.java (SubscriberShardsTest writes through the one and reads through the other).
local function relink_frame(bytes)
  return struct.pack('>I2', #bytes) .. bytes
end

-- The trace of subscriber sid with no old record yet.
local function relink_new(sid)
  return relink_frame(sid)
end

-- The trace with one more old record.
local function relink_add(trace, old)
  return trace .. relink_frame(old)
end
