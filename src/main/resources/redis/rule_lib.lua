-- The packed campaign rule in {p}campaign-rules (what the eligibility hot path reads): the only Lua that stores or
-- reads one. Its Java counterpart, campaign/CampaignRuleFormat.java, packs it (the layout is described there);
-- CampaignRuleFormatTest runs each side against the other's bytes. Prepended to the scripts that write a rule
-- (owned_record_create, campaign_rule_backfill) and to campaign_eligibility, which reads them.

-- Stores campaign id's rule, as the service packed it.
local function rule_put(rules_key, id, rule)
  redis.call('HSET', rules_key, id, rule)
end

-- A rule's parts: starts and ends (ms), the purpose's initial, the audience bitmap's key, the segment ids (a table)
-- and the excluded audiences' bitmap keys (a table; empty for a rule written before exclusions existed).
local function rule_read(rule)
  local starts, ends, purpose, audience_len = struct.unpack('>ddc1B', rule)
  local audience = string.sub(rule, 19, 18 + audience_len)
  local newline = string.find(rule, '\n', 19 + audience_len, true)
  local function split(from, to)
    local out, pos = {}, from
    while pos <= to do
      local comma = string.find(rule, ',', pos, true)
      if not comma or comma > to then comma = to + 1 end
      out[#out + 1] = string.sub(rule, pos, comma - 1)
      pos = comma + 1
    end
    return out
  end
  local segments = split(19 + audience_len, newline and (newline - 1) or #rule)
  local excluded = newline and split(newline + 1, #rule) or {}
  return starts, ends, purpose, audience, segments, excluded
end
