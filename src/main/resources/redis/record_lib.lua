-- A subscriber's record in {p}sub:{bucket}: the only Lua that makes or takes one apart. Its Java counterpart,
-- consent/SubscriberRecordFormat.java, describes the layout and writes the tails the service sends;
-- SubscriberRecordFormatTest runs each side against the other's bytes. Prepended before subscriber_lib.lua (and to
-- subscriber_access.lua). Record = u32 number .. tail; tail = u16 household bucket, u8 household id length, the id,
-- u8 identifier count (its top three bits: index bucket bits beyond 16), then 11 bytes an identifier: type byte,
-- u16 index bucket (its top 16 bits), the 8-byte index field.
local RECORD_IDENTIFIER = 11
local record_byte, record_sub = string.byte, string.sub

-- A record of number num with the tail the service sent.
local function record_new(num, tail)
  return struct.pack('>I4', num) .. tail
end

local function record_number(rec)
  return (struct.unpack('>I4', rec))
end

-- The number as 4 bytes, as index entries and household lists hold it.
local function record_number4(rec)
  return record_sub(rec, 1, 4)
end

local function record_tail(rec)
  return record_sub(rec, 5)
end

-- The record's household: its bucket's two bytes (high, low), its id and the id's length (0: none).
local function record_household(rec)
  local len = record_byte(rec, 7)
  return record_byte(rec, 5), record_byte(rec, 6), record_sub(rec, 8, 7 + len), len
end

-- How many identifiers the record holds, the index bucket bits beyond 16 their keys have, and where the first starts.
local function record_identifiers(rec)
  local pos = 8 + record_byte(rec, 7)
  local c = record_byte(rec, pos)
  local count = c % 32
  return count, (c - count) / 32, pos + 1
end

-- Identifier k (from 1) of a record whose first identifier starts at `first`: its type (one character), its index
-- bucket's top 16 bits as two bytes (high, low), and its index field.
local function record_identifier(rec, first, k)
  local at = first + (k - 1) * RECORD_IDENTIFIER
  return record_sub(rec, at, at), record_byte(rec, at + 1), record_byte(rec, at + 2),
    record_sub(rec, at + 3, at + RECORD_IDENTIFIER - 1)
end
