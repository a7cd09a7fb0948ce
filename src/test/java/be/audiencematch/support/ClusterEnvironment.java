package be.audiencematch.support;

import io.lettuce.core.MigrateArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.ByteArrayCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * TestEnvironment, but the service runs on a real three-primary Redis Cluster of the test's own, configured with a
 * node that does not serve the key prefix's slot, so that finding the right node is part of what is tested.
 */
public class ClusterEnvironment extends TestEnvironment {

    public static final String PREFIX = LocalCluster.PREFIX;
    private static final List<RedisServer> NODES = new ArrayList<>();

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = super.start();
        LocalCluster.ensure(NODES, 3, 0);
        config.putAll(LocalCluster.serviceSettings(LocalCluster.notServing(NODES, PREFIX)));
        return config;
    }

    /** The nodes, in start order. */
    public static List<RedisServer> nodes() {
        return NODES;
    }

    /** The primary that serves the prefix's slot, by asking the cluster (not the service). */
    public static RedisServer owner() {
        return LocalCluster.owner(NODES, PREFIX);
    }

    /** The primary that serves {@code key}'s slot, by asking the cluster (not the service). */
    public static RedisServer ownerOf(String key) {
        return LocalCluster.owner(NODES, key);
    }

    /** Moves the prefix's slot, keys and all, from one primary to another, as a resharding does. */
    public static void moveSlot(RedisServer from, RedisServer to) {
        int slot = SlotHash.getSlot(PREFIX);
        RedisClient fromClient = RedisClient.create(from.url());
        RedisClient toClient = RedisClient.create(to.url());
        try (StatefulRedisConnection<byte[], byte[]> source = fromClient.connect(ByteArrayCodec.INSTANCE);
             StatefulRedisConnection<byte[], byte[]> target = toClient.connect(ByteArrayCodec.INSTANCE)) {
            String sourceId = source.sync().clusterMyId();
            String targetId = target.sync().clusterMyId();
            target.sync().clusterSetSlotImporting(slot, sourceId);
            source.sync().clusterSetSlotMigrating(slot, targetId);
            for (List<byte[]> keys = source.sync().clusterGetKeysInSlot(slot, 1000); !keys.isEmpty();
                 keys = source.sync().clusterGetKeysInSlot(slot, 1000)) {
                source.sync().migrate("127.0.0.1", to.port(), 0, 10_000, MigrateArgs.Builder.keys(keys));
            }
            for (RedisServer node : NODES) {
                RedisClient client = RedisClient.create(node.url());
                try (StatefulRedisConnection<String, String> c = client.connect()) {
                    c.sync().clusterSetSlotNode(slot, targetId);
                } finally {
                    client.shutdown();
                }
            }
        } finally {
            fromClient.shutdown();
            toClient.shutdown();
        }
    }
}
