package be.audiencematch.audience;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A report over a base split into shards (docs/scaling.md, "Reads"): the audience's metadata and the segments'
 * channels come from the global keys, the count is one call a shard, summed. The bitmaps are written here as the
 * sharded writes will place them (each shard numbers its own subscribers), in a key space of four shards of its own;
 * on the suite's cluster run those shards lie on different primaries, so the report also shows that no call mixes
 * slots.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ReportShardsTest {

    private static final int SHARDS = 4;
    private static final String ADVERTISER = "adv-shards";
    private static final String AUDIENCE = "aud_shardsreport0000";

    @Inject
    RedisConnections redis;

    @Inject
    SettledWrites settled;

    private final KeySpace keys = KeySpace.of("am-report-shards:", TestEnvironment.cluster(), SHARDS);
    private AudienceStore store;
    private final Map<Channel, String> consentNames = new EnumMap<>(Channel.class);

    @BeforeEach
    void layOut() {
        store = new AudienceStore(redis, settled, keys);
        for (Channel channel : Channel.values()) {
            consentNames.put(channel, SubscriberStore.consentName(channel.purpose()));
        }
        Instant now = Instant.now();
        Map<String, String> meta = Map.of("advertiser", ADVERTISER, "name", "shards", "channel", "tv",
                "identifier_types", IdentifierType.EMAIL_SHA256.wireName(), "received", "0", "valid", "0",
                "invalid", "0", "plaintext_rejected", "0", "created_at", now.toString(),
                "expires_at", now.plusSeconds(3600).toString());
        hset(keys.global(), "audience:" + AUDIENCE, meta);
        hset(keys.global(), "segments", Map.of("seg-a", "{\"channel\":\"tv\"}", "seg-w", "{\"channel\":\"web\"}"));
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            int size = 40 + 10 * s;
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(AUDIENCE), size, members(s));
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.TV), size, consents(s));
            ShardBitmaps.write(redis, shard, SegmentStore.bitmapName("seg-a"), size, inSegment(s));
        }
    }

    private static IntPredicate members(int shard) {
        return l -> l % 2 == 0 || l % 7 == shard;
    }

    private static IntPredicate consents(int shard) {
        return l -> l % 3 != shard % 3;
    }

    private static IntPredicate inSegment(int shard) {
        return l -> l % 5 != 1;
    }

    private static long expected(int shard, boolean withSegment) {
        long count = 0;
        for (int l = 0; l < 40 + 10 * shard; l++) {
            if (members(shard).test(l) && consents(shard).test(l) && (!withSegment || inSegment(shard).test(l))) {
                count++;
            }
        }
        return count;
    }

    @Test
    void theCountIsEveryShardsPartSummed() {
        long all = 0;
        long withSegment = 0;
        for (int s = 0; s < SHARDS; s++) {
            all += expected(s, false);
            withSegment += expected(s, true);
        }
        assertTrue(expected(0, false) < all, "the parts differ, so a report that read one shard would show");

        var counted = assertInstanceOf(AudienceStore.ReportOutcome.Counted.class, report(ADVERTISER, List.of()));
        assertEquals(all, counted.exact());
        assertEquals(Channel.TV, counted.audience().channel());
        counted = assertInstanceOf(AudienceStore.ReportOutcome.Counted.class, report(ADVERTISER, List.of("seg-a")));
        assertEquals(withSegment, counted.exact());
    }

    @Test
    void theGlobalChecksComeFirst() {
        assertInstanceOf(AudienceStore.ReportOutcome.NotFound.class, report("adv-other", List.of()));
        var missing = assertInstanceOf(AudienceStore.ReportOutcome.SegmentMissing.class,
                report(ADVERTISER, List.of("seg-a", "seg-none")));
        assertEquals(1, missing.index());
        var other = assertInstanceOf(AudienceStore.ReportOutcome.SegmentOfOtherChannel.class,
                report(ADVERTISER, List.of("seg-w")));
        assertEquals(0, other.index());
    }

    private AudienceStore.ReportOutcome report(String advertiser, List<String> segments) {
        return store.report(advertiser, AUDIENCE, consentNames, keys.global().key("segments"), segments,
                segments.stream().map(SegmentStore::bitmapName).toList()).await().indefinitely();
    }

    private void hset(KeySpace.Keys keys, String name, Map<String, String> fields) {
        redis.withShared(keys.slot(), r -> {
            Map<byte[], byte[]> raw = new java.util.LinkedHashMap<>();
            fields.forEach((k, v) -> raw.put(bytes(k), bytes(v)));
            return r.hset(keys.key(name), raw);
        }).await().indefinitely();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
