package be.audiencematch.kernel;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.ConfigProvider;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses the start when a setting of {@link AudienceMatchConfig} is out of range, with one message that lists every
 * bad setting by its environment variable, its key and its value (a Redis URL is never shown: it may hold a
 * password). Values that are not even of their type (a duration with an unknown unit, a word for a number) already
 * stop SmallRye Config, with the key and the value. README, "Configuration"; docs/operations.md, "Configuration".
 */
@ApplicationScoped
public class ConfigCheck {

    /** The profile whose privacy floor is the policy's (docs/privacy.md, "Defaults and why"). */
    static final String PRODUCTION = "prod";
    /** The smallest count production may show: fewer could single out a household. */
    static final long PRODUCTION_MIN_THRESHOLD = 10;
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:.*)?}");

    /** The start refused: the message lists every problem, one a line. */
    public static final class Refused extends IllegalStateException {
        private final List<String> problems;

        Refused(List<String> problems) {
            super("Audience Match cannot start: " + (problems.size() == 1 ? "1 setting is" : problems.size()
                    + " settings are") + " invalid (README, \"Configuration\")\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    // Before every other start-up step, so that a bad value is reported as such rather than as what it breaks.
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent started) {
        verify(ConfigProvider.getConfig().unwrap(SmallRyeConfig.class));
    }

    /** Throws {@link Refused} naming every bad setting of {@code config}'s {@link AudienceMatchConfig}. */
    public static void verify(SmallRyeConfig config) {
        List<String> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new Refused(problems);
        }
    }

    static List<String> problems(SmallRyeConfig config) {
        Check check = new Check(config);
        AudienceMatchConfig am = config.getConfigMapping(AudienceMatchConfig.class);
        String p = "audience-match.";

        AudienceMatchConfig.Redis redis = am.redis();
        try {
            RedisUrls.seeds(redis.url(), redis.timeout());
        } catch (RuntimeException e) {
            check.refuse(p + "redis.url", "is not a Redis URL (redis://, rediss:// or redis-socket://)");
        }
        check.positive(p + "redis.timeout", redis.timeout());
        check.positive(p + "redis.bulk-timeout", redis.bulkTimeout());
        check.between(p + "redis.wait.replicas", redis.replicaWait().replicas(), 0, 16);
        check.positive(p + "redis.wait.timeout", redis.replicaWait().timeout());
        check.between(p + "layout.bucket-bits", am.layout().bucketBits(), 8, Buckets.MAX_BITS);
        am.layout().shards().ifPresent(shards -> check.between(p + "layout.shards", shards, 1, KeySpace.MAX_SHARDS));
        if (am.layout().shards().orElse(1) > 1 && RedisUrls.hasHashTag(redis.keyPrefix())) {
            // Every key would hash to the prefix's tag: one slot for all the shards (docs/scaling.md, "Shards").
            check.refuse(p + "redis.key-prefix", "must carry no hash tag when the base has several shards "
                    + "(AUDIENCE_MATCH_SHARDS): each shard carries its own");
        }
        am.bulk().chunkSize().ifPresent(size -> check.between(p + "bulk.chunk-size", size, 1, 4_194_304));

        AudienceMatchConfig.Eligibility.View view = am.eligibility().view();
        if (view.lease().toMillis() < 200) {
            check.refuse(p + "eligibility.view.lease", "must be at least 200ms");
        }
        check.positive(p + "eligibility.view.confirm-timeout", view.confirmTimeout());
        check.positive(p + "eligibility.view.max-households", view.maxHouseholds());

        check.positive(p + "upload.max-bytes", am.upload().maxBytes());
        check.positive(p + "json.max-bytes", am.json().maxBytes());
        Limits limits = am.limits();
        check.positive(p + "limits.line-length", limits.lineLength());
        check.positive(p + "limits.lines-per-upload", limits.linesPerUpload());
        check.positive(p + "limits.segments-per-query", limits.segmentsPerQuery());
        check.positive(p + "limits.json-nesting-depth", limits.jsonNestingDepth());

        privacy(check, am.privacy(), config.getProfiles().contains(PRODUCTION));
        rateLimits(check, am.rateLimit());

        AudienceMatchConfig.Security security = am.security();
        check.positive(p + "security.token-max-age", security.tokenMaxAge());
        // 0 turns the cache off (README, "Configuration").
        check.notNegative(p + "security.token-cache.size", security.tokenCache().size());
        check.positive(p + "security.token-cache.max-age", security.tokenCache().maxAge());

        AudienceMatchConfig.Pseudonym pseudonym = am.pseudonym();
        check.positive(p + "pseudonym.key-warn-age", pseudonym.keyWarnAge());
        check.positive(p + "pseudonym.key-max-age", pseudonym.keyMaxAge());
        if (pseudonym.keyWarnAge().compareTo(pseudonym.keyMaxAge()) > 0) {
            check.refuse(p + "pseudonym.key-warn-age", "must not be longer than "
                    + check.named(p + "pseudonym.key-max-age"));
        }
        check.positive(p + "export.cursor-retention", am.export().cursorRetention());
        check.positive(p + "audit.retention", am.audit().retention());
        check.positive(p + "audience.max-ttl", am.audience().maxTtl());
        return check.problems;
    }

    private static void privacy(Check check, PrivacyConfig privacy, boolean production) {
        String p = "audience-match.privacy.";
        if (production && privacy.threshold() < PRODUCTION_MIN_THRESHOLD) {
            check.refuse(p + "threshold", "must be at least " + PRODUCTION_MIN_THRESHOLD
                    + " in production (docs/privacy.md, \"Defaults and why\")");
        } else {
            check.positive(p + "threshold", privacy.threshold());
        }
        check.positive(p + "rounded-to", privacy.roundedTo());
        Epsilon epsilon = null;
        if (!"off".equalsIgnoreCase(privacy.epsilon().strip())) {
            try {
                epsilon = Epsilon.parse(privacy.epsilon(), "");
            } catch (IllegalArgumentException e) {
                check.refuse(p + "epsilon", e.getMessage().strip());
            }
        }
        BigDecimal budget = null;
        try {
            budget = new BigDecimal(privacy.budget().strip());
            if (budget.signum() <= 0 || budget.scale() > 6) {
                budget = null;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        if (budget == null) {
            check.refuse(p + "budget", "must be a positive decimal with at most six decimals, such as 10");
        } else if (epsilon != null && budget.movePointRight(6).longValue() < epsilon.micros()) {
            check.refuse(p + "budget", "must be at least " + check.named(p + "epsilon"));
        }
        check.positive(p + "budget-window", privacy.budgetWindow());
        check.positive(p + "answer-period", privacy.answerPeriod());
        check.positive(p + "max-audiences", privacy.maxAudiences());
        check.positive(p + "max-campaigns", privacy.maxCampaigns());
    }

    private static void rateLimits(Check check, RateLimitConfig limits) {
        String p = "audience-match.rate-limit.";
        bucket(check, p + "advertiser.", limits.advertiser());
        bucket(check, p + "adserver.", limits.adserver());
        bucket(check, p + "subscriber-feed.", limits.subscriberFeed());
        bucket(check, p + "adsdata.", limits.adsdata());
        bucket(check, p + "dpo.", limits.dpo());
        check.positive(p + "in-flight.advertiser", limits.inFlight().advertiser());
        check.positive(p + "in-flight.subscriber-feed", limits.inFlight().subscriberFeed());
        check.positive(p + "in-flight.lease", limits.inFlight().lease());
    }

    private static void bucket(Check check, String prefix, RateLimitConfig.Bucket bucket) {
        if (!(bucket.rate() > 0) || Double.isInfinite(bucket.rate())) {
            check.refuse(prefix + "rate", "must be a positive number of requests a second");
        }
        check.positive(prefix + "burst", bucket.burst());
    }

    /** Collects the problems, each naming its setting as an operator sets it. */
    private static final class Check {
        private final SmallRyeConfig config;
        private final List<String> problems = new ArrayList<>();

        Check(SmallRyeConfig config) {
            this.config = config;
        }

        void positive(String key, long value) {
            if (value < 1) {
                refuse(key, "must be positive");
            }
        }

        void notNegative(String key, long value) {
            if (value < 0) {
                refuse(key, "must not be negative");
            }
        }

        void positive(String key, Duration value) {
            if (value.isNegative() || value.isZero()) {
                refuse(key, "must be a positive duration such as 30s, 15m, 24h or 30d");
            }
        }

        void between(String key, long value, long low, long high) {
            if (value < low || value > high) {
                refuse(key, "must be between " + low + " and " + high);
            }
        }

        void refuse(String key, String why) {
            problems.add(named(key) + " = " + shown(key) + ": " + why);
        }

        /** Variable and key: {@code AUDIENCE_MATCH_THRESHOLD (audience-match.privacy.threshold)}. */
        String named(String key) {
            return variable(key) + " (" + key + ")";
        }

        /**
         * The variable application.properties reads the key from ({@code ${AUDIENCE_MATCH_THRESHOLD:100}}), else
         * the key's canonical one ({@code AUDIENCE_MATCH_JSON_MAX_BYTES}), which SmallRye Config reads as well.
         */
        private String variable(String key) {
            ConfigValue value = config.getConfigValue(key);
            String raw = value == null ? null : value.getRawValue();
            if (raw != null) {
                Matcher expression = EXPRESSION.matcher(raw.strip());
                if (expression.matches()) {
                    return expression.group(1);
                }
            }
            return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
        }

        private String shown(String key) {
            if (key.endsWith(".url")) {
                return "(not shown: it may hold a password)";
            }
            ConfigValue value = config.getConfigValue(key);
            return value == null || value.getValue() == null ? "(default)" : "\"" + value.getValue() + "\"";
        }
    }
}
