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
 * A real Redis Cluster of the test's own: cluster-enabled redis-servers on free ports, joined by
 * {@code redis-cli --cluster create}, stopped when the JVM exits.
 */
final class LocalCluster {

    private LocalCluster() {
    }

    /** Every key of the service on one slot of the cluster: the key prefix carries a hash tag. */
    static final String PREFIX = "{am}:";

    /**
     * Starts the cluster into {@code nodes} when it is empty (once per JVM, shared by every test of an environment),
     * as {@link #start}.
     */
    static void ensure(List<RedisServer> nodes, int count, int replicas, String... serverArgs) {
        if (!nodes.isEmpty()) {
            return;
        }
        try {
            nodes.addAll(start(count, replicas, serverArgs));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test Redis Cluster", e);
        }
    }

    /** The service's settings for the cluster, reached first through {@code node}. */
    static Map<String, String> serviceSettings(RedisServer node) {
        return Map.of("audience-match.redis.url", node.url(), "audience-match.redis.cluster", "true",
                "audience-match.redis.key-prefix", PREFIX);
    }

    /**
     * The key prefix of a service on a cluster left at the default prefix: the default followed by a hash tag of the
     * service's own choosing (kernel/RedisUrls.keyPrefix), which the suite's cluster topology runs with.
     */
    static final String DEFAULT_ON_A_CLUSTER = be.audiencematch.kernel.RedisUrls.keyPrefix("am:", true);

    /** The service's settings for the cluster with the default key prefix, reached first through {@code node}. */
    static Map<String, String> serviceSettingsWithTheDefaultPrefix(RedisServer node) {
        return Map.of("audience-match.redis.url", node.url(), "audience-match.redis.cluster", "true",
                "audience-match.layout.shards", System.getProperty("audience-match-test.shards", "1"));
    }

    /**
     * Starts {@code count} nodes with {@code serverArgs} and joins them, {@code replicas} replicas per primary; returns
     * once every node sees the cluster as ok and, with replicas, every replica's link to its primary is up.
     */
    static List<RedisServer> start(int count, int replicas, String... serverArgs) throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(new RedisServer(true).withArgs(serverArgs).start());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(n -> {
            try {
                n.close();
            } catch (Exception ignored) {
                // best effort at exit
            }
        })));
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
        create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("redis-cli --cluster create failed: " + output);
        }
        // redis-cli returns once the slots are assigned; every node must also see the whole cluster as ok.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        for (RedisServer node : nodes) {
            RedisClient client = RedisClient.create(node.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                while (!c.sync().clusterInfo().contains("cluster_state:ok")
                        || (replicas > 0 && !replicationUp(c.sync().info("replication"), replicas))) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IOException("the test cluster did not reach cluster_state:ok with its replicas");
                    }
                    Thread.onSpinWait();
                }
            } finally {
                client.shutdown();
            }
        }
        return nodes;
    }

    /** The primary that serves {@code key}'s slot, asked of the first live node (not of the service). */
    static RedisServer owner(List<RedisServer> nodes, String key) {
        int slot = SlotHash.getSlot(key);
        for (RedisServer node : nodes) {
            if (!node.running()) {
                continue;
            }
            RedisClient client = RedisClient.create(node.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                for (ClusterSlotRange range : ClusterSlotsParser.parse(c.sync().clusterSlots())) {
                    if (range.getFrom() <= slot && slot <= range.getTo()) {
                        int port = range.getUpstream().getUri().getPort();
                        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
                    }
                }
            } finally {
                client.shutdown();
            }
        }
        throw new IllegalStateException("no live node names the owner of slot " + slot);
    }

    /** A primary that does not serve {@code key}'s slot: given to the service, it must find the owner itself. */
    static RedisServer notServing(List<RedisServer> nodes, String key) {
        RedisServer owner = owner(nodes, key);
        return nodes.stream().filter(n -> n != owner).findFirst().orElseThrow();
    }

    /** A primary with its replicas online, or a replica whose link to its primary is up. */
    private static boolean replicationUp(String info, int replicas) {
        return info.contains("role:master") ? info.contains("connected_slaves:" + replicas)
                : info.contains("master_link_status:up");
    }
}
