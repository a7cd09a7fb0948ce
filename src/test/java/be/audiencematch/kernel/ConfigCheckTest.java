package be.audiencematch.kernel;

import be.audiencematch.support.Keys;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one configuration mapping, built as Quarkus builds it (application.properties with its profiles, environment
 * variables above it, Quarkus' durations), and the start-up check over it: each bad value is refused with a message
 * that names the environment variable operators set and the key, and the defaults pass.
 */
class ConfigCheckTest {

    @Test
    void theShippedDefaultsPassInEveryProfile() {
        for (String profile : List.of("prod", "dev", "test")) {
            SmallRyeConfig config = config(profile, Map.of());
            assertEquals(List.of(), ConfigCheck.problems(config), profile);
            AudienceMatchConfig am = config.getConfigMapping(AudienceMatchConfig.class);
            assertEquals(Keys.DEFAULT_PREFIX, am.redis().keyPrefix());
            assertEquals(100, am.privacy().threshold());
            assertEquals(Duration.ofDays(396), am.audit().retention());
        }
    }

    @Test
    void everyAudienceMatchKeyOfApplicationPropertiesBelongsToTheOneMapping() {
        // A key the mapping does not know (a typo, or a setting kept elsewhere) is refused by name.
        URL properties = ConfigCheckTest.class.getClassLoader().getResource("application.properties");
        for (String profile : List.of("prod", "dev", "test")) {
            assertDoesNotThrow(() -> new SmallRyeConfigBuilder().addDefaultInterceptors().withProfile(profile)
                    .withConverter(Duration.class, 200, new DurationConverter())
                    .withSources(new PropertiesConfigSource(properties, 250))
                    .withMapping(AudienceMatchConfig.class).withValidateUnknown(true).build(), profile);
        }
        ConfigValidationException unknown = assertThrows(ConfigValidationException.class,
                () -> new SmallRyeConfigBuilder().addDefaultInterceptors()
                        .withConverter(Duration.class, 200, new DurationConverter())
                        .withSources(new PropertiesConfigSource(properties, 250))
                        .withSources(new PropertiesConfigSource(Map.of("audience-match.privacy.treshold", "5"),
                                "typo", 300))
                        .withMapping(AudienceMatchConfig.class).withValidateUnknown(true).build());
        assertTrue(unknown.getMessage().contains("audience-match.privacy.treshold"), unknown.getMessage());
    }

    @Test
    void everyKeyHasADefaultOfItsOwnWithoutApplicationProperties() {
        // The mapping alone (no application.properties) still starts, bar the rate limits' per-role numbers.
        SmallRyeConfig config = new SmallRyeConfigBuilder().addDefaultInterceptors()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(rateLimits(), "rates", 100))
                .withMapping(AudienceMatchConfig.class).withValidateUnknown(false).build();
        assertEquals(List.of(), ConfigCheck.problems(config));
        assertEquals(536_870_912L, config.getConfigMapping(AudienceMatchConfig.class).upload().maxBytes());
    }

    @Test
    void aThresholdUnderTenStopsProductionOnly() {
        Map<String, String> env = Map.of("AUDIENCE_MATCH_THRESHOLD", "5");
        String problem = single(config("prod", env));
        assertTrue(problem.startsWith("AUDIENCE_MATCH_THRESHOLD (audience-match.privacy.threshold) = \"5\""), problem);
        assertTrue(problem.contains("at least 10 in production"), problem);
        assertEquals(List.of(), ConfigCheck.problems(config("dev", env)));
        assertEquals(List.of(), ConfigCheck.problems(config("prod", Map.of("AUDIENCE_MATCH_THRESHOLD", "10"))));
        assertTrue(single(config("dev", Map.of("AUDIENCE_MATCH_THRESHOLD", "0"))).contains("must be positive"));
    }

    @Test
    void negativeLimitsAndSizesAreRefusedByTheirVariable() {
        assertRefused(Map.of("AUDIENCE_MATCH_UPLOAD_MAX_BYTES", "-1"),
                "AUDIENCE_MATCH_UPLOAD_MAX_BYTES (audience-match.upload.max-bytes) = \"-1\": must be positive");
        // A key without a line in application.properties is named by its canonical variable.
        assertRefused(Map.of("AUDIENCE_MATCH_LIMITS_LINE_LENGTH", "-5"),
                "AUDIENCE_MATCH_LIMITS_LINE_LENGTH (audience-match.limits.line-length) = \"-5\": must be positive");
        assertRefused(Map.of("AUDIENCE_MATCH_MAX_AUDIENCES", "-1"),
                "AUDIENCE_MATCH_MAX_AUDIENCES (audience-match.privacy.max-audiences)");
        assertRefused(Map.of("AUDIENCE_MATCH_UPLOADS_IN_FLIGHT", "0"),
                "AUDIENCE_MATCH_UPLOADS_IN_FLIGHT (audience-match.rate-limit.in-flight.advertiser)");
        assertRefused(Map.of("AUDIENCE_MATCH_RATE_LIMIT_ADVERTISER_RATE", "-2"),
                "AUDIENCE_MATCH_RATE_LIMIT_ADVERTISER_RATE (audience-match.rate-limit.advertiser.rate)");
        assertRefused(Map.of("AUDIENCE_MATCH_SECURITY_TOKEN_CACHE_SIZE", "-1"),
                "AUDIENCE_MATCH_SECURITY_TOKEN_CACHE_SIZE (audience-match.security.token-cache.size) = \"-1\": must "
                        + "not be negative");
        // 0 turns the token cache off.
        assertEquals(List.of(), ConfigCheck.problems(config("prod",
                Map.of("AUDIENCE_MATCH_SECURITY_TOKEN_CACHE_SIZE", "0"))));
        assertRefused(Map.of("AUDIENCE_MATCH_BULK_CHUNK_SIZE", "0"),
                "AUDIENCE_MATCH_BULK_CHUNK_SIZE (audience-match.bulk.chunk-size) = \"0\": must be between 1 and");
    }

    @Test
    void bucketBitsStayWithinEightToTwenty() {
        assertRefused(Map.of("AUDIENCE_MATCH_BUCKET_BITS", "21"),
                "AUDIENCE_MATCH_BUCKET_BITS (audience-match.layout.bucket-bits) = \"21\": must be between 8 and 20");
        assertRefused(Map.of("AUDIENCE_MATCH_BUCKET_BITS", "7"), "AUDIENCE_MATCH_BUCKET_BITS");
        assertEquals(List.of(), ConfigCheck.problems(config("prod", Map.of("AUDIENCE_MATCH_BUCKET_BITS", "20"))));
    }

    @Test
    void aShardedBaseTakesOneToAThousandAndTwentyFourShardsAndAPrefixWithoutATag() {
        assertRefused(Map.of("AUDIENCE_MATCH_SHARDS", "0"), "AUDIENCE_MATCH_SHARDS (audience-match.layout.shards)");
        assertRefused(Map.of("AUDIENCE_MATCH_SHARDS", "1025"), "AUDIENCE_MATCH_SHARDS");
        assertRefused(Map.of("AUDIENCE_MATCH_SHARDS", "64", "AUDIENCE_MATCH_REDIS_KEY_PREFIX", "{am}:"),
                "AUDIENCE_MATCH_REDIS_KEY_PREFIX");
        assertEquals(List.of(), ConfigCheck.problems(config("prod", Map.of("AUDIENCE_MATCH_SHARDS", "64"))));
        assertEquals(List.of(), ConfigCheck.problems(config("prod", Map.of("AUDIENCE_MATCH_SHARDS", "1",
                "AUDIENCE_MATCH_REDIS_KEY_PREFIX", "{am}:"))));
    }

    @Test
    void epsilonIsAPositiveNumberOrOffAndTheBudgetCoversIt() {
        assertRefused(Map.of("AUDIENCE_MATCH_DP_EPSILON", "lots"),
                "AUDIENCE_MATCH_DP_EPSILON (audience-match.privacy.epsilon) = \"lots\": must be 'off' or");
        assertRefused(Map.of("AUDIENCE_MATCH_DP_EPSILON", "-0.5"), "AUDIENCE_MATCH_DP_EPSILON");
        assertRefused(Map.of("AUDIENCE_MATCH_DP_EPSILON", "2", "AUDIENCE_MATCH_DP_BUDGET", "1"),
                "AUDIENCE_MATCH_DP_BUDGET (audience-match.privacy.budget) = \"1\": must be at least "
                        + "AUDIENCE_MATCH_DP_EPSILON (audience-match.privacy.epsilon)");
        assertRefused(Map.of("AUDIENCE_MATCH_DP_BUDGET", "none"), "AUDIENCE_MATCH_DP_BUDGET");
        assertEquals(List.of(), ConfigCheck.problems(config("prod", Map.of("AUDIENCE_MATCH_DP_EPSILON", "off"))));
    }

    @Test
    void durationsMustBePositiveAndOrdered() {
        assertRefused(Map.of("AUDIENCE_MATCH_DP_BUDGET_WINDOW", "0s"),
                "AUDIENCE_MATCH_DP_BUDGET_WINDOW (audience-match.privacy.budget-window) = \"0s\": must be a positive");
        assertRefused(Map.of("AUDIENCE_MATCH_AUDIT_RETENTION", "-1d"), "AUDIENCE_MATCH_AUDIT_RETENTION");
        assertRefused(Map.of("AUDIENCE_MATCH_ELIGIBILITY_VIEW_LEASE", "100ms"),
                "AUDIENCE_MATCH_ELIGIBILITY_VIEW_LEASE (audience-match.eligibility.view.lease) = \"100ms\"");
        assertRefused(Map.of("AUDIENCE_MATCH_PSEUDONYM_KEY_WARN_AGE", "400d"),
                "AUDIENCE_MATCH_PSEUDONYM_KEY_WARN_AGE (audience-match.pseudonym.key-warn-age) = \"400d\": must not "
                        + "be longer than AUDIENCE_MATCH_PSEUDONYM_KEY_MAX_AGE");
    }

    @Test
    void aDurationWithAnUnknownUnitStopsTheMappingItselfNamingTheKeyAndValue() {
        ConfigValidationException refused = assertThrows(ConfigValidationException.class,
                () -> config("prod", Map.of("AUDIENCE_MATCH_AUDIT_RETENTION", "13 months")));
        assertTrue(refused.getMessage().contains("audience-match.audit.retention"), refused.getMessage());
        assertTrue(refused.getMessage().contains("13 months"), refused.getMessage());
        ConfigValidationException notANumber = assertThrows(ConfigValidationException.class,
                () -> config("prod", Map.of("AUDIENCE_MATCH_UPLOAD_MAX_BYTES", "512MB")));
        assertTrue(notANumber.getMessage().contains("audience-match.upload.max-bytes"), notANumber.getMessage());
    }

    @Test
    void aBadRedisUrlIsNamedButNeverShown() {
        String problem = single(config("prod",
                Map.of("AUDIENCE_MATCH_REDIS_URL", "http://svc:s3cret-pass@redis:6379")));
        assertTrue(problem.startsWith("AUDIENCE_MATCH_REDIS_URL (audience-match.redis.url)"), problem);
        assertFalse(problem.contains("s3cret"), problem);
    }

    @Test
    void oneMessageListsEveryProblem() {
        SmallRyeConfig config = config("prod", Map.of("AUDIENCE_MATCH_THRESHOLD", "3",
                "AUDIENCE_MATCH_LIMITS_SEGMENTS_PER_QUERY", "-1", "AUDIENCE_MATCH_DP_EPSILON", "x"));
        ConfigCheck.Refused refused = assertThrows(ConfigCheck.Refused.class, () -> ConfigCheck.verify(config));
        assertEquals(3, refused.problems().size(), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("Audience Match cannot start: 3 settings are invalid"));
        for (String variable : List.of("AUDIENCE_MATCH_THRESHOLD", "AUDIENCE_MATCH_LIMITS_SEGMENTS_PER_QUERY",
                "AUDIENCE_MATCH_DP_EPSILON")) {
            assertTrue(refused.getMessage().contains(variable), refused.getMessage());
        }
        assertDoesNotThrow(() -> ConfigCheck.verify(config("prod", Map.of())));
    }

    private static void assertRefused(Map<String, String> env, String expected) {
        String problem = single(config("prod", env));
        assertTrue(problem.startsWith(expected), problem);
    }

    private static String single(SmallRyeConfig config) {
        List<String> problems = ConfigCheck.problems(config);
        assertEquals(1, problems.size(), problems.toString());
        return problems.get(0);
    }

    /** application.properties at Quarkus' ordinal, the given environment above it, in {@code profile}. */
    static SmallRyeConfig config(String profile, Map<String, String> env) {
        URL properties = ConfigCheckTest.class.getClassLoader().getResource("application.properties");
        try {
            return new SmallRyeConfigBuilder().addDefaultInterceptors()
                    .withProfile(profile)
                    .withConverter(Duration.class, 200, new DurationConverter())
                    .withSources(new PropertiesConfigSource(properties, 250))
                    .withSources(new EnvConfigSource(env, 300))
                    .withMapping(AudienceMatchConfig.class)
                    .withValidateUnknown(false)
                    .build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, String> rateLimits() {
        Map<String, String> rates = new java.util.HashMap<>();
        for (String role : List.of("advertiser", "adserver", "subscriber-feed", "adsdata", "dpo")) {
            rates.put("audience-match.rate-limit." + role + ".rate", "10");
            rates.put("audience-match.rate-limit." + role + ".burst", "20");
        }
        rates.put("audience-match.rate-limit.in-flight.advertiser", "2");
        rates.put("audience-match.rate-limit.in-flight.subscriber-feed", "2");
        return rates;
    }
}
