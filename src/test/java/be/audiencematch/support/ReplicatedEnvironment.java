package be.audiencematch.support;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * TestEnvironment, but the service's Redis is a primary with one real replica (a second redis-server,
 * {@code REPLICAOF}), for the durable acknowledgement tests. Both are the run's own, started once.
 */
public class ReplicatedEnvironment extends TestEnvironment {

    private static RedisServer primary;
    private static RedisServer replica;

    @Override
    public synchronized Map<String, String> start() {
        standaloneOnly("ReplicatedEnvironment");
        Map<String, String> config = super.start();
        try {
            if (primary == null) {
                primary = new RedisServer().start().closeAtExit();
                replica = new RedisServer().start().closeAtExit();
                RedisClient client = RedisClient.create(replica.url());
                try (StatefulRedisConnection<String, String> c = client.connect()) {
                    c.sync().replicaof("127.0.0.1", primary.port());
                } finally {
                    client.shutdown();
                }
                awaitOnlineReplica();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the replicated Redis", e);
        }
        config.put("audience-match.redis.url", primary.url());
        config.put("audience-match.redis.wait.timeout", "1s");
        return config;
    }

    /** Polls the primary until it reports its replica online (synchronised and streaming). */
    public static void awaitOnlineReplica() {
        RedisClient client = RedisClient.create(primary.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            while (!c.sync().info("replication").contains("state=online")) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the replica did not come online");
                }
                Thread.onSpinWait();
            }
        } finally {
            client.shutdown();
        }
    }

    public static RedisServer primary() {
        return primary;
    }

    public static RedisServer replica() {
        return replica;
    }
}
