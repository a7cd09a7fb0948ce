package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The identifier index's layout (IndexFormat): a new base records it, a base of an earlier version (a hash per
 * bucket) is converted before the index is used. Each case runs on a base of its own (its own key prefix), with a
 * store of its own, as a service starting on that Redis would.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class IndexFormatTest {

    private static final int BITS = 8;

    @Inject
    RedisConnections redis;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aNewBaseRecordsTheLayoutAtOnce() {
        String prefix = Keys.key("fresh-index:");
        SubscriberStore store = new SubscriberStore(redis, KeySpace.of(prefix, false, 1), BITS);
        assertTrue(store.indexCurrent().await().indefinitely());
        try (Direct direct = new Direct()) {
            assertArrayEquals(bytes("entries"), direct.redis.hget(bytes(prefix + "layout"), bytes("index_format")));
        }
    }

    @Test
    void aBaseOfTheFormerLayoutIsConvertedBeforeItsIndexIsUsed() {
        String prefix = Keys.key("former-index:");
        byte[] digest = HexFormat.of().parseHex("3c" + "11".repeat(31));
        byte[] field = java.util.Arrays.copyOfRange(digest, 2, 10);
        byte[] otherField = HexFormat.of().parseHex("2222222222222222");
        SubscriberStore store = new SubscriberStore(redis, KeySpace.of(prefix, false, 1), BITS);
        String bucket = prefix + "ix:e:" + store.buckets().name(store.buckets().ofDigest(digest));
        try (Direct direct = new Direct()) {
            // What an earlier version left: subscribers, and index buckets as hashes of field → decimal number.
            direct.redis.set(bytes(prefix + "seq"), bytes("70000"));
            direct.redis.hset(bytes(bucket), field, bytes("65539"));
            direct.redis.hset(bytes(bucket), otherField, bytes("7"));

            assertFalse(store.indexCurrent().await().indefinitely(), "not current until converted");
            store.indexConversion().join();
            assertTrue(store.indexCurrent().await().indefinitely());

            assertEquals("string", direct.redis.type(bytes(bucket)));
            byte[] entries = direct.redis.get(bytes(bucket));
            assertEquals(24, entries.length, "two 12-byte entries");
            assertArrayEquals(bytes("entries"), direct.redis.hget(bytes(prefix + "layout"), bytes("index_format")));
        }
        StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
        try {
            var resolving = new IdentifierLookup(store, redis).resolve(connection.async(), IdentifierType.EMAIL_SHA256,
                    List.of(digest, HexFormat.of().parseHex("3c" + "33".repeat(31))));
            connection.flushCommands();
            assertArrayEquals(new int[] {65539, -1}, resolving.toCompletableFuture().join(),
                    "the converted entry answers, an unknown digest does not");
        } finally {
            connection.close();
        }
    }

    /** A plain connection to the test's Redis. */
    private static final class Direct implements AutoCloseable {
        final RedisClient client = RedisClient.create(TestEnvironment.baseRedis().url());
        final StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
        final RedisCommands<byte[], byte[]> redis = connection.sync();

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }
}
