-- What a subscriber write changed for the replicas' eligibility views, gathered during the call and published as one
-- change entry at its end (view_lib.lua writes it). Prepended, after view_lib.lua, to the scripts that write
-- subscribers; the script names the change stream's keys (notes_keys) before it notes anything, so this file builds
-- no key name.
local purposes = { 'tv', 'web', 'ads_and_data' }
local byte, sub = string.byte, string.sub
local notes_seq, notes_stream, notes_view_key
local function notes_keys(seq, stream, view_key)
  notes_seq, notes_stream, notes_view_key = seq, stream, view_key
end

-- What this call changed for the replicas' eligibility views: consent masks by number and households whose member
-- list changed (by keyed tag: view_lib.lua), published as one change entry by note_published() at the end of the call.
local noted_consents, noted_households = {}, {}
local function note_consent(num, mask)
  noted_consents[#noted_consents + 1] = view_consent(num, byte(mask, 1) - 48, byte(mask, 2) - 48, byte(mask, 3) - 48)
end
-- Beyond this many households one entry says "every household" instead of naming them (a bulk chunk).
local NOTE_HOUSEHOLDS_MAX = 512
local function note_household(hh)
  if #noted_households <= NOTE_HOUSEHOLDS_MAX then noted_households[#noted_households + 1] = hh end
end
local function note_published(fields)
  fields = fields or {}
  if #noted_consents > 0 then
    fields[#fields + 1] = 'c'; fields[#fields + 1] = table.concat(noted_consents)
  end
  -- Households by keyed tag, never by id (view_household_tags); all of them beyond the most, or without a key.
  local tags = #noted_households > 0 and #noted_households <= NOTE_HOUSEHOLDS_MAX
    and view_household_tags(notes_view_key, noted_households)
  if tags then
    fields[#fields + 1] = 'h'; fields[#fields + 1] = tags
  elseif #noted_households > 0 then
    fields[#fields + 1] = 'H'; fields[#fields + 1] = '1'
  end
  if #fields > 0 then view_note(notes_seq, notes_stream, fields) end
end

