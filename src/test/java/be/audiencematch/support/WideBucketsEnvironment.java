package be.audiencematch.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * TestEnvironment, but the service lays its base out with 17 bucket bits (as for a 10M base: keys name their bucket
 * with a fifth hex digit, records keep the top 16 bits) on a Redis of its own, since a base keeps one layout: a
 * redis-server, or on the cluster topology a three-primary cluster of its own (reached, as TestEnvironment's, through
 * a node that does not serve the prefix's slot).
 */
public class WideBucketsEnvironment extends TestEnvironment {

    public static final int BITS = 17;
    private static RedisServer wide;
    private static final List<RedisServer> WIDE_CLUSTER = new ArrayList<>();

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        if (cluster()) {
            LocalCluster.ensure(WIDE_CLUSTER, 3, 0);
            wide = LocalCluster.owner(WIDE_CLUSTER, LocalCluster.DEFAULT_ON_A_CLUSTER);
            config.putAll(LocalCluster.serviceSettingsWithTheDefaultPrefix(
                    LocalCluster.notServing(WIDE_CLUSTER, LocalCluster.DEFAULT_ON_A_CLUSTER)));
        } else {
            try {
                if (wide == null) {
                    wide = new RedisServer().start().closeAtExit();
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the wide-bucket Redis", e);
            }
            config.put("audience-match.redis.url", wide.url());
        }
        config.put("audience-match.layout.bucket-bits", Integer.toString(BITS));
        return config;
    }

    /** The redis-server that holds the wide base's keys (on the cluster, the primary serving the prefix's slot). */
    public static RedisServer wideRedis() {
        return wide;
    }
}
