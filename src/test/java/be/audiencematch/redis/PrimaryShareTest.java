package be.audiencematch.redis;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.RedisServer;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On the cluster run, the base laid out in shards spreads over every primary (docs/scaling.md, "Two layouts"): each
 * of the three primaries holds a fair part of the subscriber records, counted on each node as an auditor would, by
 * scanning its own keys. With the base in one slot (AUDIENCE_MATCH_SHARDS=1) one primary would hold them all.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class PrimaryShareTest {

    private static final int SUBSCRIBERS = 3_000;

    @Test
    void everyPrimaryHoldsAFairPartOfTheSubscriberRecords() {
        assumeTrue(TestEnvironment.cluster(), "a single Redis holds every shard");
        int from = Fixtures.range(SUBSCRIBERS);
        Fixtures.loadSubscribers(from, SUBSCRIBERS, i -> true, i -> i % 2 == 0, i -> true);

        List<RedisServer> primaries = TestEnvironment.clusterNodes();
        assertEquals(3, primaries.size());
        List<Long> held = new ArrayList<>();
        for (RedisServer primary : primaries) {
            held.add(records(primary));
        }
        long total = held.stream().mapToLong(Long::longValue).sum();
        assertTrue(total >= SUBSCRIBERS, "every subscriber loaded has a record: " + total);
        for (int p = 0; p < held.size(); p++) {
            // 64 shards over three primaries: a third each, give or take the shards' own sizes.
            assertTrue(held.get(p) * 5 > total, "primary " + p + " holds " + held.get(p) + " of " + total);
        }
    }

    /** The subscriber records a node holds: the entries of its record buckets ({p}sub:{bucket} hashes). */
    private static long records(RedisServer node) {
        RedisClient client = RedisClient.create(node.url());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            long records = 0;
            ScanArgs buckets = ScanArgs.Builder.matches("am:*:sub:*").limit(1_000);
            KeyScanCursor<String> cursor = redis.scan(buckets);
            while (true) {
                for (String key : cursor.getKeys()) {
                    records += redis.hlen(key);
                }
                if (cursor.isFinished()) {
                    return records;
                }
                cursor = redis.scan(ScanCursor.of(cursor.getCursor()), buckets);
            }
        } finally {
            client.shutdown();
        }
    }
}
