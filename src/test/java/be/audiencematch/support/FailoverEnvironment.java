package be.audiencematch.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * TestEnvironment on a real Redis Cluster of three primaries with one replica each and a short node timeout (2 s),
 * so that a primary killed with {@code kill -9} is replaced by its replica within seconds. The service is configured
 * with the very primary that serves its keys: after the kill it must find the promoted replica on its own. Counts
 * are shown exactly (threshold and rounding 1, differential privacy off) so that one lost withdrawal shows.
 */
public class FailoverEnvironment extends TestEnvironment {

    public static final String PREFIX = LocalCluster.PREFIX;
    private static final List<RedisServer> NODES = new ArrayList<>();

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        LocalCluster.ensure(NODES, 6, 1, "--cluster-node-timeout", "2000");
        config.putAll(LocalCluster.serviceSettings(owner()));
        config.put("audience-match.privacy.threshold", "1");
        config.put("audience-match.privacy.rounded-to", "1");
        return config;
    }

    /** The primary that serves the prefix's slot, asked of any live node. */
    public static RedisServer owner() {
        return LocalCluster.owner(NODES, PREFIX);
    }
}
