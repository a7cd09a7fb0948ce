package be.audiencematch.support;

import java.nio.charset.StandardCharsets;

/**
 * The names of the service's Redis keys as the test run configured them: the prefix is the service's default
 * ({@code am:}) on a standalone Redis and, on the cluster, that default followed by the hash tag the service gives it
 * ({@code am:{base}:}; kernel/RedisUrls.keyPrefix) (TestEnvironment,
 * docs/architecture.md "Standalone and Cluster"). Tests name keys through here, never with a literal prefix.
 */
public final class Keys {

    /** The service's own default prefix (AudienceMatchConfig), for a service started without a prefix setting. */
    public static final String DEFAULT_PREFIX = "am:";

    private Keys() {
    }

    /** The key prefix the service runs with in this test run. */
    public static String prefix() {
        return TestEnvironment.cluster() ? LocalCluster.DEFAULT_ON_A_CLUSTER : DEFAULT_PREFIX;
    }

    /** The key {@code name} under the run's prefix: {@code key("live")} is {@code am:live} or {@code am:{base}:live}. */
    public static String key(String name) {
        return prefix() + name;
    }

    /** {@link #key} as the bytes a binary connection sends. */
    public static byte[] bytes(String name) {
        return key(name).getBytes(StandardCharsets.UTF_8);
    }
}
