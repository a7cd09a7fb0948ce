package be.audiencematch.kernel;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * How fast and how often each role may call (README "Rate limits and fuzzing"; the defaults are in
 * application.properties, each with its environment variable). The {@code audience-match.rate-limit} group of
 * kernel/AudienceMatchConfig, injectable on its own (kernel/ConfigGroups).
 */
public interface RateLimitConfig {

    /** Off only for benchmarks and load tests, which measure the service rather than its callers. */
    @WithDefault("true")
    boolean enabled();

    Bucket advertiser();

    Bucket adserver();

    Bucket subscriberFeed();

    Bucket adsdata();

    Bucket dpo();

    InFlight inFlight();

    /** A token bucket: {@code rate} requests a second on average, up to {@code burst} at once. */
    interface Bucket {
        double rate();

        int burst();
    }

    /** Streamed uploads and bulk loads one subject may have running at once, across all replicas. */
    interface InFlight {
        int advertiser();

        int subscriberFeed();

        /** How long a taken slot lasts if its replica dies before giving it back. */
        @WithDefault("2h")
        Duration lease();
    }
}
