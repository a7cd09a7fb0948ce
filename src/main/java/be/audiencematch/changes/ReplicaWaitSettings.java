package be.audiencematch.changes;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * How many Redis replicas must hold a write before it is acknowledged (docs/operations.md, "Durability").
 */
@ConfigMapping(prefix = "audience-match.redis.wait")
public interface ReplicaWaitSettings {

    /**
     * {@code AUDIENCE_MATCH_REDIS_WAIT_REPLICAS}: replicas that must hold a write before its 2xx, at most as many as
     * the primary has online; 0 turns the wait off.
     */
    @WithDefault("1")
    int replicas();

    /**
     * {@code AUDIENCE_MATCH_REDIS_WAIT_TIMEOUT}: how long a write waits for them; past it the write is stored but
     * answered 503 with Retry-After (sending it again is harmless).
     */
    @WithDefault("1s")
    Duration timeout();
}
