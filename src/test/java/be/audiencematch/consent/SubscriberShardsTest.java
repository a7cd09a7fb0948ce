package be.audiencematch.consent;

import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscriber's write in a base of four shards (docs/scaling.md, "A write across shards"): the record and its bits in
 * the home shard at its local number, each index entry in the shard of its bucket naming the global number, the
 * household list in the shard of its bucket; a replacement moves them, an erasure removes them, and a write cut short
 * after its first step is finished from its trace. On the suite's cluster run the shards sit on different primaries.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class SubscriberShardsTest {

    private static final int SHARDS = 4;
    private static final int BITS = 12;
    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    private KeySpace keys;
    private SubscriberStore store;

    @BeforeEach
    void emptyBase() {
        // A prefix of its own each test: nothing another left behind is read.
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "subscriber-shards", SHARDS);
        keys = sharded.keys;
        store = sharded.store;
    }

    @Test
    void aSubscriberLivesInItsHomeShardAndEachLinkInItsBucketsShard() {
        Subscriber anna = subscriber("anna", "hh-1", email(1), phone(2));
        assertTrue(store.upsert(anna).await().atMost(AT_MOST));
        long g = globalNumber("anna");
        int home = store.homeShard("anna");
        assertEquals(home, g % SHARDS, "the global number names the home shard");
        assertTrue(bit(home, SubscriberStore.LIVE, g / SHARDS), "live at its local number in its home shard");
        assertTrue(bit(home, SubscriberStore.consentName(Purpose.TV), g / SHARDS));
        assertFalse(bit(home, SubscriberStore.consentName(Purpose.WEB), g / SHARDS));
        assertEquals(g, indexed(email(1)));
        assertEquals(g, indexed(phone(2)));
        assertEquals(List.of(g), household("hh-1"));
        assertNoTrace();

        // Numbers are per shard: a second subscriber in the same home shard gets the next local number.
        String other = sameHomeAs("anna");
        assertTrue(store.upsert(subscriber(other, null, email(3))).await().atMost(AT_MOST));
        assertEquals(g + SHARDS, globalNumber(other));
    }

    @Test
    void aReplacementMovesItsLinksAndAnErasureRemovesThem() {
        store.upsert(subscriber("bert", "hh-2", email(10), phone(11))).await().atMost(AT_MOST);
        long g = globalNumber("bert");
        assertFalse(store.upsert(subscriber("bert", "hh-3", email(10), email(12))).await().atMost(AT_MOST));
        assertEquals(g, globalNumber("bert"), "a replacement keeps the number");
        assertEquals(g, indexed(email(10)), "an identifier it keeps");
        assertEquals(g, indexed(email(12)), "a new one");
        assertNull(indexed(phone(11)), "an identifier it no longer has matches no one");
        assertEquals(List.of(), household("hh-2"));
        assertEquals(List.of(g), household("hh-3"));
        assertNoTrace();

        // Another subscriber takes one of its identifiers: the last writer owns it.
        store.upsert(subscriber("carl", "hh-3", email(12))).await().atMost(AT_MOST);
        long carl = globalNumber("carl");
        assertEquals(carl, indexed(email(12)));
        assertEquals(List.of(g, carl), household("hh-3"));

        assertEquals(g, store.erase("bert").await().atMost(AT_MOST));
        assertNull(record("bert"));
        assertFalse(bit((int) (g % SHARDS), SubscriberStore.LIVE, g / SHARDS));
        assertNull(indexed(email(10)));
        assertEquals(carl, indexed(email(12)), "what another owns stays");
        assertEquals(List.of(carl), household("hh-3"));
        assertNoTrace();
        assertEquals(-1L, store.erase("bert").await().atMost(AT_MOST));
    }

    @Test
    void aWriteCutShortAfterItsFirstStepIsFinishedFromItsTrace() {
        store.upsert(subscriber("dora", "hh-4", email(20), phone(21))).await().atMost(AT_MOST);
        long g = globalNumber("dora");
        Subscriber moved = subscriber("dora", "hh-5", email(22));
        byte[][] args = tailAndMeta(moved);
        store.sharded().firstStepOnly("dora", args[0], args[1]).await().atMost(AT_MOST);
        int home = (int) (g % SHARDS);
        // Between the steps: the record is new, its links still the old ones, and the number marked.
        assertTrue(bit(home, "relinking", g / SHARDS), "readers leave it out meanwhile");
        assertEquals(g, indexed(email(20)));
        assertNull(indexed(email(22)));

        RelinkFinisher finisher = new RelinkFinisher(store, redis, vertx);
        assertEquals(0, finisher.look().await().atMost(AT_MOST), "a trace seen once may be a write in progress");
        assertEquals(1, finisher.look().await().atMost(AT_MOST), "one still there on the next look is finished");
        assertNull(indexed(email(20)));
        assertNull(indexed(phone(21)));
        assertEquals(g, indexed(email(22)));
        assertEquals(List.of(), household("hh-4"));
        assertEquals(List.of(g), household("hh-5"));
        assertNoTrace();
    }

    // ---- what Redis holds ---------------------------------------------------------------------------------------

    private long globalNumber(String id) {
        byte[] record = record(id);
        long local = ByteBuffer.wrap(record).getInt() & 0xffffffffL;
        return local * SHARDS + store.homeShard(id);
    }

    private byte[] record(String id) {
        int bucket = store.buckets().ofId(id);
        return get(store.homeShard(id), r -> r.hget(store.recordKey(bucket), bytes(id)));
    }

    /** The number the index gives the identifier (null: none), read in its bucket's shard. */
    private Long indexed(HashedIdentifier identifier) {
        int bucket = store.buckets().ofDigest(identifier.digest());
        byte[] entries = get(bucket % SHARDS, r -> r.get(store.indexKey(identifier.type(), bucket)));
        byte[] field = Arrays.copyOfRange(identifier.digest(), IndexEntryFormat.FIELD_OFFSET,
                IndexEntryFormat.FIELD_OFFSET + IndexEntryFormat.FIELD_BYTES);
        Long found = null;
        for (int at = 0; entries != null && at < entries.length; at += IndexEntryFormat.ENTRY_BYTES) {
            if (Arrays.equals(field, Arrays.copyOfRange(entries, at, at + IndexEntryFormat.FIELD_BYTES))) {
                found = ByteBuffer.wrap(entries, at + IndexEntryFormat.FIELD_BYTES, 4).getInt() & 0xffffffffL;
            }
        }
        return found;
    }

    private List<Long> household(String id) {
        int bucket = store.householdBuckets().ofId(id);
        byte[] members = get(bucket % SHARDS, r -> r.hget(store.householdKey(bucket), bytes(id)));
        List<Long> out = new ArrayList<>();
        for (int at = 0; members != null && at < members.length; at += 4) {
            out.add(ByteBuffer.wrap(members, at, 4).getInt() & 0xffffffffL);
        }
        return out;
    }

    private boolean bit(int shard, String name, long local) {
        Long bit = get(shard, r -> r.getbit(keys.shard(shard).key(name), local));
        return bit == 1L;
    }

    private void assertNoTrace() {
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            Map<byte[], byte[]> traces = get(s, r -> r.hgetall(ShardedSubscriberWrites.relinkKey(shard)));
            assertEquals(0, traces.size(), "relink traces left in shard " + s);
            Long marked = get(s, r -> r.bitcount(ShardedSubscriberWrites.relinkingKey(shard)));
            assertEquals(0L, marked, "relinking bits left in shard " + s);
        }
    }

    private <T> T get(int shard, java.util.function.Function<io.lettuce.core.api.async.RedisAsyncCommands<byte[],
            byte[]>, java.util.concurrent.CompletionStage<T>> read) {
        return redis.withShared(keys.shard(shard).slot(), read).await().atMost(AT_MOST);
    }

    // ---- subscribers ----------------------------------------------------------------------------------------------

    private String sameHomeAs(String id) {
        int home = store.homeShard(id);
        for (int i = 0; ; i++) {
            String candidate = "other-" + i;
            if (store.homeShard(candidate) == home) {
                return candidate;
            }
        }
    }

    private byte[][] tailAndMeta(Subscriber s) {
        BulkChunk one = store.bulkChunk(1, null);
        one.add(s);
        return new byte[][] {one.recordTail(0), SubscriberStore.meta(s)};
    }

    private static Subscriber subscriber(String id, String household, HashedIdentifier... identifiers) {
        return new Subscriber(id, List.of(identifiers), household, new Consents(true, false, true));
    }

    /** Digests spread over every bucket, so the links of one subscriber fall in several shards. */
    private static HashedIdentifier email(int i) {
        return HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256, digest(i));
    }

    private static HashedIdentifier phone(int i) {
        return HashedIdentifier.ofHex(IdentifierType.PHONE_SHA256, digest(i));
    }

    private static String digest(int i) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("identifier-" + i).getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
