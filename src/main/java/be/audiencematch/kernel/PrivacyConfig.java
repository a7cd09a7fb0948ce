package be.audiencematch.kernel;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * What an advertiser may see and at what cost (docs/privacy.md, "Defaults and why"): the {@code audience-match.privacy}
 * group of kernel/AudienceMatchConfig, injectable on its own (kernel/ConfigGroups).
 */
public interface PrivacyConfig {

    /** Smallest count shown (AUDIENCE_MATCH_THRESHOLD); applied to the noised count. */
    @WithDefault("100")
    long threshold();

    /** Counts are rounded down to a multiple of this (AUDIENCE_MATCH_ROUNDED_TO). */
    @WithDefault("10")
    long roundedTo();

    /** ε of one fresh answer, or "off" for exact counts (AUDIENCE_MATCH_DP_EPSILON). */
    @WithDefault("0.5")
    String epsilon();

    /** ε an advertiser may spend over {@link #budgetWindow()} (AUDIENCE_MATCH_DP_BUDGET). */
    @WithDefault("10")
    String budget();

    /** The rolling window the budget is counted over. */
    @WithDefault("30d")
    Duration budgetWindow();

    /** How long a fresh answer is repeated, at no cost, to the same question (AUDIENCE_MATCH_DP_ANSWER_PERIOD). */
    @WithDefault("24h")
    Duration answerPeriod();

    /** Live audiences an advertiser may hold at once (AUDIENCE_MATCH_MAX_AUDIENCES). */
    @WithDefault("100")
    int maxAudiences();

    /** Live campaigns an advertiser may hold at once (AUDIENCE_MATCH_MAX_CAMPAIGNS). */
    @WithDefault("100")
    int maxCampaigns();
}
