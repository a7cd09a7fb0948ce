package be.audiencematch.support;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
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

    public static final String PREFIX = "{am}:";
    private static final List<RedisServer> NODES = new ArrayList<>();

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        try {
            if (NODES.isEmpty()) {
                startCluster();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test Redis Cluster", e);
        }
        config.put("audience-match.redis.url", owner().url());
        config.put("audience-match.redis.cluster", "true");
        config.put("audience-match.redis.key-prefix", PREFIX);
        config.put("audience-match.privacy.threshold", "1");
        config.put("audience-match.privacy.rounded-to", "1");
        return config;
    }

    /** The primary that serves the prefix's slot, asked of any live node. */
    public static RedisServer owner() {
        int slot = SlotHash.getSlot(PREFIX);
        for (RedisServer node : NODES) {
            if (!node.running()) {
                continue;
            }
            RedisClient client = RedisClient.create(node.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                for (ClusterSlotRange range : ClusterSlotsParser.parse(c.sync().clusterSlots())) {
                    if (range.getFrom() <= slot && slot <= range.getTo()) {
                        int port = range.getUpstream().getUri().getPort();
                        return NODES.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
                    }
                }
            } finally {
                client.shutdown();
            }
        }
        throw new IllegalStateException("no live node names the owner of slot " + slot);
    }

    private static void startCluster() throws Exception {
        for (int i = 0; i < 6; i++) {
            NODES.add(new RedisServer(true).withArgs("--cluster-node-timeout", "2000").start());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> NODES.forEach(n -> {
            try {
                n.close();
            } catch (Exception ignored) {
                // best effort at exit
            }
        })));
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        NODES.forEach(n -> create.add("127.0.0.1:" + n.port()));
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("redis-cli --cluster create failed: " + output);
        }
        // Every node must see the whole cluster as ok, and every primary must have its replica attached.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        for (RedisServer node : NODES) {
            RedisClient client = RedisClient.create(node.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                while (!c.sync().clusterInfo().contains("cluster_state:ok") || !replicationUp(c.sync().info("replication"))) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IOException("the test cluster did not reach cluster_state:ok with its replicas");
                    }
                    Thread.onSpinWait();
                }
            } finally {
                client.shutdown();
            }
        }
    }

    /** A primary with its replica online, or a replica whose link to its primary is up. */
    private static boolean replicationUp(String info) {
        return info.contains("role:master") ? info.contains("connected_slaves:1") : info.contains("master_link_status:up");
    }
}
