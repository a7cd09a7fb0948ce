package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The base's layout (BaseLayoutReadiness, layout_record.lua): a new base records its bucket bits and its shard count,
 * a base laid out before shard counts were recorded is one shard, and a base of another size or shard count keeps
 * the service not ready instead of reading a part of it. Each case runs on a base of its own (its own key prefix), as
 * a service starting on that Redis would.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class BaseLayoutReadinessTest {

    private static final int BITS = 8;

    @Inject
    RedisConnections redis;

    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> direct;

    @BeforeEach
    void connect() {
        client = RedisClient.create(TestEnvironment.baseRedis().url());
        connection = client.connect(StringCodec.UTF8);
        direct = connection.sync();
    }

    @AfterEach
    void close() {
        connection.close();
        client.shutdown();
    }

    private HealthCheckResponse readiness(String prefix) {
        KeySpace keys = KeySpace.of(prefix, false, 1);
        return new BaseLayoutReadiness(new SubscriberStore(redis, keys, BITS), redis, keys).call()
                .await().indefinitely();
    }

    @Test
    void aNewBaseRecordsItsBucketBitsAndItsShardCount() {
        String prefix = Keys.key("layout-new:");
        assertEquals(HealthCheckResponse.Status.UP, readiness(prefix).getStatus());
        assertEquals(Map.of("bucket_bits", "8", "shards", "1", "index_format", "entries"),
                direct.hgetall(prefix + "layout"));
    }

    @Test
    void aBaseLaidOutBeforeShardCountsWereRecordedIsOneShard() {
        String prefix = Keys.key("layout-former:");
        direct.hset(prefix + "layout", Map.of("bucket_bits", "8", "index_format", "entries"));
        assertEquals(HealthCheckResponse.Status.UP, readiness(prefix).getStatus());
        assertEquals("1", direct.hget(prefix + "layout", "shards"));
    }

    @Test
    void aBaseOfAnotherShardCountKeepsTheServiceNotReady() {
        String prefix = Keys.key("layout-sharded:");
        direct.hset(prefix + "layout", Map.of("bucket_bits", "8", "shards", "64", "index_format", "entries"));
        HealthCheckResponse answer = readiness(prefix);
        assertEquals(HealthCheckResponse.Status.DOWN, answer.getStatus());
        assertEquals("64", answer.getData().orElseThrow().get("shards"));
        assertEquals("64", direct.hget(prefix + "layout", "shards"), "the recorded count is left as it is");
    }

    @Test
    void aBaseOfOtherBucketBitsKeepsTheServiceNotReady() {
        String prefix = Keys.key("layout-wider:");
        direct.hset(prefix + "layout", Map.of("bucket_bits", "12", "shards", "1"));
        HealthCheckResponse answer = readiness(prefix);
        assertEquals(HealthCheckResponse.Status.DOWN, answer.getStatus());
        assertEquals("12", answer.getData().orElseThrow().get("bucket_bits"));
    }
}
