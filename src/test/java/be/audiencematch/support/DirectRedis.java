package be.audiencematch.support;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

/**
 * Commands on the test run's Redis behind the service's back, each sent to the node that serves its key: a plain
 * connection on a standalone Redis, a cluster connection (routed by slot) on the cluster topology, where a sharded
 * base spreads its keys over every primary (docs/scaling.md, "Shards and tags"). Commands without a key go where
 * Lettuce sends them: KEYS and SCRIPT FLUSH to every primary, the others to one node.
 */
public final class DirectRedis<K, V> implements AutoCloseable {

    private final AbstractRedisClient client;
    private final StatefulConnection<K, V> connection;
    private final RedisClusterCommands<K, V> commands;

    private DirectRedis(AbstractRedisClient client, StatefulConnection<K, V> connection,
                        RedisClusterCommands<K, V> commands) {
        this.client = client;
        this.connection = connection;
        this.commands = commands;
    }

    /** Binary keys and values, reached first through the server at {@code url}. */
    public static DirectRedis<byte[], byte[]> binary(String url) {
        return open(url, ByteArrayCodec.INSTANCE);
    }

    /** Text keys and values (UTF-8), reached first through the server at {@code url}. */
    public static DirectRedis<String, String> text(String url) {
        return open(url, StringCodec.UTF8);
    }

    private static <K, V> DirectRedis<K, V> open(String url, RedisCodec<K, V> codec) {
        if (TestEnvironment.cluster()) {
            RedisClusterClient client = RedisClusterClient.create(url);
            StatefulRedisClusterConnection<K, V> connection = client.connect(codec);
            return new DirectRedis<>(client, connection, connection.sync());
        }
        RedisClient client = RedisClient.create(url);
        StatefulRedisConnection<K, V> connection = client.connect(codec);
        return new DirectRedis<>(client, connection, connection.sync());
    }

    public RedisClusterCommands<K, V> commands() {
        return commands;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
