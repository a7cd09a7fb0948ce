package be.audiencematch.ratelimit;

import be.audiencematch.kernel.RateLimitConfig;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets kept in this replica's memory, for the eligibility hot path: a Redis round trip per question would
 * add a command to every one of tens of thousands a second, for a caller (the ad server) that is trusted and few.
 * Each replica enforces the rate on its own, so across n replicas the ad server may reach n times the rate; the
 * limit guards against a runaway loop, not against an adversary (docs/architecture.md, "Rate limits").
 */
final class LocalBuckets {

    /** Subjects are the ad server's few instances; a flood of distinct ones only resets the buckets. */
    private static final int MAX_SUBJECTS = 10_000;

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** 0 when the request may go, else the milliseconds until it may. */
    long take(String subject, RateLimitConfig.Bucket config, long nowNanos) {
        if (buckets.size() > MAX_SUBJECTS) {
            buckets.clear();
        }
        return buckets.computeIfAbsent(subject, s -> new Bucket(config.burst(), nowNanos))
                .take(config.rate(), config.burst(), nowNanos);
    }

    private static final class Bucket {
        private double tokens;
        private long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }

        synchronized long take(double rate, int burst, long now) {
            if (now > at) {
                tokens = Math.min(burst, tokens + (now - at) * rate / 1e9);
                at = now;
            }
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) * 1000 / rate);
        }
    }
}
