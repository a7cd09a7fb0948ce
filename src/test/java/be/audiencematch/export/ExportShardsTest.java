package be.audiencematch.export;

import be.audiencematch.audit.AuditLog;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Ads & Data export over a base split into shards (docs/scaling.md, "Reads"): how many of a segment's members may
 * go (one count a shard, summed segment by segment), and a cursor's state (each shard's bitmaps, put together by
 * global number l × S + s). The bitmaps are written here as the sharded writes will place them,
 * in a key space of four shards of its own (on the suite's cluster run, on different primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ExportShardsTest {

    private static final int SHARDS = 4;
    private static final int SIZE = 64;

    @Inject
    RedisConnections redis;

    @Inject
    AuditLog auditLog;

    private final KeySpace keys = KeySpace.of("am-export-shards:", TestEnvironment.cluster(), SHARDS);

    @Test
    void eachSegmentsCountIsEveryShardsPartSummed() {
        long[] expected = new long[2];
        long shardZero = 0;
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            int of = s;
            IntPredicate live = l -> l < SIZE - of;
            IntPredicate consents = l -> l % 4 != of;
            IntPredicate first = l -> l % 2 == 0;
            IntPredicate second = l -> l % 3 == of % 3;
            ShardBitmaps.write(redis, shard, SubscriberStore.LIVE, SIZE, live);
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.ADS_AND_DATA), SIZE, consents);
            ShardBitmaps.write(redis, shard, SegmentStore.bitmapName("seg-x1"), SIZE, first);
            ShardBitmaps.write(redis, shard, SegmentStore.bitmapName("seg-x2"), SIZE, second);
            for (int l = 0; l < SIZE; l++) {
                if (live.test(l) && consents.test(l)) {
                    expected[0] += first.test(l) ? 1 : 0;
                    expected[1] += second.test(l) ? 1 : 0;
                    shardZero += s == 0 && first.test(l) ? 1 : 0;
                }
            }
        }
        assertTrue(shardZero < expected[0], "a count that read one shard would show");
        ExportStore store = new ExportStore(redis, auditLog, keys);
        assertEquals(List.of(expected[0], expected[1]),
                store.exportableCounts(List.of("seg-x1", "seg-x2")).await().indefinitely());
    }

    @Test
    void aCursorHoldsEveryShardsMembersByGlobalNumber() {
        IntPredicate[] inSegment = new IntPredicate[SHARDS];
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            int of = s;
            inSegment[s] = l -> (l + of) % 3 == 0;
            ShardBitmaps.write(redis, shard, SubscriberStore.LIVE, SIZE, l -> true);
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.ADS_AND_DATA), SIZE, l -> l != of);
            ShardBitmaps.write(redis, shard, SegmentStore.bitmapName("seg-take"), SIZE, inSegment[s]);
        }
        ExportStore store = new ExportStore(redis, auditLog, keys);
        ExportStore.State first = store.take("seg-take", "cur_first", null, Map.of("segment", "seg-take"),
                Duration.ofMinutes(5)).await().indefinitely();
        assertEquals(expected(inSegment), numbers(first.current()));
        assertNull(first.previous());

        inSegment[2] = l -> l % 2 == 0;
        ShardBitmaps.write(redis, keys.shard(2), SegmentStore.bitmapName("seg-take"), SIZE, inSegment[2]);
        ExportStore.State second = store.take("seg-take", "cur_second", "cur_first", Map.of("segment", "seg-take"),
                Duration.ofMinutes(5)).await().indefinitely();
        assertEquals(expected(inSegment), numbers(second.current()));
        assertEquals(numbers(first.current()), numbers(second.previous()), "what the partner held at the cursor");
        assertEquals("seg-take", second.previousMeta().get("segment"));
    }

    /** Global numbers l × S + s of the members who may go: consenting (l is not s) and in the segment. */
    private static Set<Long> expected(IntPredicate[] inSegment) {
        Set<Long> numbers = new TreeSet<>();
        for (int s = 0; s < SHARDS; s++) {
            for (int l = 0; l < SIZE; l++) {
                if (l != s && inSegment[s].test(l)) {
                    numbers.add((long) l * SHARDS + s);
                }
            }
        }
        return numbers;
    }

    private static Set<Long> numbers(byte[] bitmap) {
        Set<Long> numbers = new TreeSet<>();
        for (int i = 0; i < bitmap.length * 8; i++) {
            if ((bitmap[i / 8] & (0x80 >>> (i % 8))) != 0) {
                numbers.add((long) i);
            }
        }
        return numbers;
    }
}
