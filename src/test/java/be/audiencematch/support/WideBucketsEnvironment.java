package be.audiencematch.support;

import java.util.Map;

/**
 * TestEnvironment, but the service lays its base out with 17 bucket bits (as for a 10M base: keys name their bucket
 * with a fifth hex digit, records keep the top 16 bits) on a Redis of its own, since a base keeps one layout.
 */
public class WideBucketsEnvironment extends TestEnvironment {

    public static final int BITS = 17;
    private static RedisServer wide;

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        try {
            if (wide == null) {
                wide = new RedisServer().start().closeAtExit();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the wide-bucket Redis", e);
        }
        config.put("audience-match.redis.url", wide.url());
        config.put("audience-match.layout.bucket-bits", Integer.toString(BITS));
        return config;
    }

    public static RedisServer wideRedis() {
        return wide;
    }
}
