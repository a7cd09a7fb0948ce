-- The packed campaign rule in {p}campaign-rules, stored as the service packed it: its one owner is
-- campaign/CampaignRuleFormat.java, which packs it and reads it (eligibility evaluates rules in the service:
-- campaign/EligibilityRule), so no Lua reads it. Prepended to the scripts that write a rule with the campaign
-- (owned_record_create, campaign_rule_backfill); CampaignRuleFormatTest checks that the bytes stored are the bytes
-- packed.

-- Stores campaign id's rule, as the service packed it.
local function rule_put(rules_key, id, rule)
  redis.call('HSET', rules_key, id, rule)
end
