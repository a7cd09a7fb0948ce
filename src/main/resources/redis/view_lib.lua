-- Helper for the change stream that keeps every replica's eligibility view in step (see docs/architecture.md,
-- "Eligibility view"); prepended to the scripts that change what eligibility reads. Each such change appends one
-- entry, in the same atomic step as the change itself, numbered by {p}view:seq without gaps in its field 'n' (a gap
-- tells a replica that it fell behind the trimmed stream and must reload). The entry id is Redis' own ('*'), so the
-- append cannot fail half-way through a write. fields: a flat list of field, value.
local function view_note(seq_key, stream_key, fields)
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', stream_key, 'MAXLEN', '~', 10000, '*', 'n', seq, unpack(fields))
  return seq
end
