package be.audiencematch.ratelimit;

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

    default Bucket bucketOf(String role) {
        return switch (role) {
            case be.audiencematch.security.Roles.ADVERTISER -> advertiser();
            case be.audiencematch.security.Roles.ADSERVER -> adserver();
            case be.audiencematch.security.Roles.SUBSCRIBER_FEED -> subscriberFeed();
            case be.audiencematch.security.Roles.ADSDATA -> adsdata();
            case be.audiencematch.security.Roles.DPO -> dpo();
            default -> throw new IllegalArgumentException("unknown role");
        };
    }

    /** The in-flight cap of a role, 0 for a role that sends no uploads. */
    default int inFlightOf(String role) {
        return switch (role) {
            case be.audiencematch.security.Roles.ADVERTISER -> inFlight().advertiser();
            case be.audiencematch.security.Roles.SUBSCRIBER_FEED -> inFlight().subscriberFeed();
            default -> 0;
        };
    }
}
