package be.audiencematch.consent;

import be.audiencematch.audience.Audience;
import be.audiencematch.audience.AudienceStore;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * List matching over a base of four shards (docs/scaling.md, "Reads"): an upload's digests are looked up in the
 * shards of their index buckets and come back as global numbers; an audience's members and a segment are written in
 * each subscriber's home shard at its local number, only where it consents and is not between a write's steps; the
 * report sums the shards. On the suite's cluster run the shards sit on different primaries.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ListMatchingShardsTest {

    private static final int SHARDS = 4;
    private static final int PEOPLE = 24;
    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    @Inject
    ObjectMapper json;

    private KeySpace keys;
    private SubscriberStore base;
    private SettledWrites settled;
    private ShardedBase sharded;
    /** Each subscriber's global number, by index. */
    private final List<Long> numbers = new ArrayList<>();

    @BeforeEach
    void base() {
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "matching-shards", SHARDS);
        keys = sharded.keys;
        base = sharded.store;
        settled = sharded.settled;
        this.sharded = sharded;
        numbers.clear();
        for (int i = 0; i < PEOPLE; i++) {
            // Every third one does not consent to the web.
            base.upsert(new Subscriber("person-" + i, List.of(email(i)), null, new Consents(true, i % 3 != 0, true)))
                    .await().atMost(AT_MOST);
            numbers.add(sharded.numberOf("person-" + i));
        }
    }

    @Test
    void digestsResolveToGlobalNumbersInTheirIndexShards() {
        List<byte[]> digests = new ArrayList<>();
        for (int i = 0; i < PEOPLE + 3; i++) {
            digests.add(email(i).digest());
        }
        IdentifierLookup lookup = new IdentifierLookup(base, redis);
        digests.sort(lookup.order());
        try (IdentifierLookup.Lookups lookups = lookup.open()) {
            var answer = lookups.resolve(IdentifierType.EMAIL_SHA256, digests);
            lookups.flush();
            int[] found = answer.join();
            List<Long> expected = new ArrayList<>();
            for (byte[] digest : digests) {
                int i = indexOf(digest);
                expected.add(i < PEOPLE ? numbers.get(i) : -1L);
            }
            List<Long> got = new ArrayList<>();
            for (int n : found) {
                got.add(n < 0 ? -1L : n & 0xffffffffL);
            }
            assertEquals(expected, got);
        }
        assertTrue(numbers.stream().map(g -> g % SHARDS).distinct().count() > 2, "the people live in several shards");
    }

    @Test
    void anAudienceKeepsEachMemberInItsHomeShardAndTheReportSumsThem() {
        AudienceStore audiences = new AudienceStore(redis, settled, keys);
        Audience web = audience("aud-web");
        audiences.create(web).await().atMost(AT_MOST);
        // One person is between the steps of a write: not matched until it is linked.
        Subscriber moving = new Subscriber("person-1", List.of(email(1)), null, new Consents(true, true, true));
        BulkChunk one = base.bulkChunk(1, null);
        one.add(moving);
        base.sharded().firstStepOnly("person-1", one.recordTail(0), SubscriberStore.meta(moving))
                .await().atMost(AT_MOST);

        assertTrue(audiences.merge(web, Purpose.WEB, outcome(0, 12)).await().atMost(AT_MOST));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            if (i % 3 != 0 && i != 1) {
                expected.add(i);
            }
        }
        assertEquals(expected, members(AudienceStore.membersName(web.id())));
        assertEquals((long) expected.size(), reported(audiences, web));

        assertTrue(audiences.remove(web, outcome(4, 6)).await().atMost(AT_MOST));
        expected.removeIf(i -> i >= 4 && i < 6);
        assertEquals(expected, members(AudienceStore.membersName(web.id())));

        assertTrue(audiences.replace(web, Purpose.WEB, outcome(12, 20)).await().atMost(AT_MOST));
        assertEquals(List.of(13, 14, 16, 17, 19), members(AudienceStore.membersName(web.id())));
        assertEquals(5L, reported(audiences, web));

        audiences.delete(web).await().atMost(AT_MOST);
        assertEquals(List.of(), members(AudienceStore.membersName(web.id())));
        assertTrue(!audiences.merge(web, Purpose.WEB, outcome(0, 3)).await().atMost(AT_MOST),
                "a deleted audience takes no members");
    }

    @Test
    void aSegmentIsWrittenShardByShardWithItsTotal() {
        SegmentStore segments = new SegmentStore(redis, settled, base, json, keys);
        RoaringBitmap matched = new RoaringBitmap();
        for (int i = 0; i < PEOPLE; i += 2) {
            matched.add(numbers.get(i).intValue());
        }
        assertEquals(12L, segments.replace("sports", Channel.TV, IdentifierType.EMAIL_SHA256, matched)
                .await().atMost(AT_MOST));
        List<Integer> even = new ArrayList<>();
        for (int i = 0; i < PEOPLE; i += 2) {
            even.add(i);
        }
        assertEquals(even, members(SegmentStore.bitmapName("sports")));
        assertEquals(12L, segments.find("sports").await().atMost(AT_MOST).orElseThrow().members());
        assertTrue(segments.delete("sports").await().atMost(AT_MOST));
        assertEquals(List.of(), members(SegmentStore.bitmapName("sports")));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private Audience audience(String id) {
        Instant now = Instant.now();
        return new Audience(id, "acme", "test", Channel.WEB, IdentifierType.EMAIL_SHA256, 0, 0, 0, 0, now,
                now.plus(Duration.ofDays(1)), 0, List.of(IdentifierType.EMAIL_SHA256));
    }

    private long reported(AudienceStore audiences, Audience a) {
        var outcome = audiences.report("acme", a.id(), Map.of(Channel.TV, SubscriberStore.consentName(Purpose.TV),
                Channel.WEB, SubscriberStore.consentName(Purpose.WEB)), keys.global().key("segments"), List.of(),
                List.of()).await().atMost(AT_MOST);
        return ((AudienceStore.ReportOutcome.Counted) outcome).exact();
    }

    /** An upload that matched people from..to-1, by global number. */
    private MatchingUpload.Outcome outcome(int from, int to) {
        RoaringBitmap matched = new RoaringBitmap();
        for (int i = from; i < to; i++) {
            matched.add(numbers.get(i).intValue());
        }
        return new MatchingUpload.Outcome(to - from, to - from, 0, 0, List.of(), matched);
    }

    /** Who a bitmap of this name holds, read shard by shard at each person's local number. */
    private List<Integer> members(String name) {
        List<Integer> in = new ArrayList<>();
        for (int i = 0; i < PEOPLE; i++) {
            long g = numbers.get(i);
            KeySpace.Keys home = keys.shard((int) (g % SHARDS));
            Long bit = redis.withShared(home.slot(), r -> r.getbit(home.key(name), g / SHARDS)).await().atMost(AT_MOST);
            if (bit == 1L) {
                in.add(i);
            }
        }
        return in;
    }

    private int indexOf(byte[] digest) {
        for (int i = 0; ; i++) {
            if (java.util.Arrays.equals(email(i).digest(), digest)) {
                return i;
            }
        }
    }

    private static HashedIdentifier email(int i) {
        try {
            return HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256, HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(("person-" + i).getBytes(
                            StandardCharsets.UTF_8))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
