package be.audiencematch.support;

import java.util.Map;

/**
 * TestEnvironment, but on a Redis of its own that keeps an append-only file (as shipped), so a test can stop it and
 * start it again in the same folder on the same port with the data still there.
 */
public class DurableRedisEnvironment extends TestEnvironment {

    private static RedisServer durable;

    @Override
    public synchronized Map<String, String> start() {
        standaloneOnly("DurableRedisEnvironment");
        Map<String, String> config = super.start();
        try {
            if (durable == null) {
                durable = new RedisServer().appendOnly().start().closeAtExit();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the append-only Redis", e);
        }
        config.put("audience-match.redis.url", durable.url());
        return config;
    }

    public static RedisServer durableRedis() {
        return durable;
    }
}
