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
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bulk load's chunks in a base of four shards (docs/scaling.md, "A write across shards"): each subscriber in its home
 * shard with the next local number there, its identifiers resolving to its global number from their buckets' shards,
 * its household list in its bucket's shard; a later chunk that replaces subscribers moves their links, and the last
 * line of an id in a chunk is the one written; a subscriber a PUT or an erasure takes over between the chunk's records
 * and its links keeps no link the load appended for it (the check afterwards). On the suite's cluster run the shards
 * sit on different primaries.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class BulkShardsTest {

    private static final int SHARDS = 4;
    private static final int PEOPLE = 300;
    private static final Duration AT_MOST = Duration.ofSeconds(30);

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    @Test
    void chunksPlaceEverySubscriberAndMoveWhatTheyReplace() {
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "bulk-shards", SHARDS);
        KeySpace keys = sharded.keys;
        SubscriberStore base = sharded.store;
        ShardedBulk bulk = base.shardedBulk();

        BulkChunk first = base.bulkChunk(PEOPLE, null);
        for (int i = 0; i < PEOPLE; i++) {
            first.add(person(i, "a"));
        }
        bulk.write(first, new BitSet()).join();
        long[] numbers = new long[PEOPLE];
        TreeSet<Long>[] locals = new TreeSet[SHARDS];
        for (int s = 0; s < SHARDS; s++) {
            locals[s] = new TreeSet<>();
        }
        for (int i = 0; i < PEOPLE; i++) {
            numbers[i] = sharded.numberOf("bulk-" + i);
            locals[(int) (numbers[i] % SHARDS)].add(numbers[i] / SHARDS);
        }
        for (int s = 0; s < SHARDS; s++) {
            assertTrue(locals[s].size() > PEOPLE / 8, "shard " + s + " holds a fair part");
            assertEquals(locals[s].size() - 1L, (long) locals[s].last(), "shard " + s + " numbers 0.. in a row");
        }
        List<byte[]> digests = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < PEOPLE; i++) {
            digests.add(digest(i, "a"));
            expected.add(numbers[i]);
        }
        assertEquals(expected, resolve(base, digests));
        assertEquals(sorted(numbers[6], numbers[7]), sharded.household("family-a-3"));
        assertNoTrace(keys);

        // A second chunk: the first 50 move to new identifiers and households; person 0 comes twice, the last wins.
        BulkChunk second = base.bulkChunk(64, null);
        second.add(person(0, "x"));
        for (int i = 0; i < 50; i++) {
            second.add(person(i, "b"));
        }
        bulk.write(second, new BitSet()).join();
        List<byte[]> moved = new ArrayList<>();
        List<byte[]> left = new ArrayList<>();
        List<Long> movedTo = new ArrayList<>();
        List<Long> nobody = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            assertEquals(numbers[i], sharded.numberOf("bulk-" + i), "a replacement keeps its number");
            moved.add(digest(i, "b"));
            movedTo.add(numbers[i]);
            left.add(digest(i, "a"));
            nobody.add(-1L);
        }
        assertEquals(movedTo, resolve(base, moved));
        assertEquals(nobody, resolve(base, left), "identifiers a subscriber no longer has match no one");
        assertEquals(List.of(-1L), resolve(base, List.of(digest(0, "x"))), "a superseded line is not written");
        assertEquals(List.of(), sharded.household("family-a-3"));
        assertEquals(sorted(numbers[6], numbers[7]), sharded.household("family-b-3"));
        assertEquals(sorted(numbers[60], numbers[61]), sharded.household("family-a-30"));
        assertNoTrace(keys);
    }

    @Test
    void aFeedSentAgainKeepsEveryLinkAndMakesAnIdentifierTakenSinceItsOwnAgain() {
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "bulk-again", SHARDS);
        SubscriberStore base = sharded.store;
        BulkChunk first = base.bulkChunk(PEOPLE, null);
        for (int i = 0; i < PEOPLE; i++) {
            first.add(person(i, "a"));
        }
        base.shardedBulk().write(first, new BitSet()).join();
        List<byte[]> digests = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        for (int i = 0; i < PEOPLE; i++) {
            digests.add(digest(i, "a"));
            numbers.add(sharded.numberOf("bulk-" + i));
        }
        // Another subscriber takes person 5's e-mail: a write makes an identifier its own.
        base.upsert(new Subscriber("taker", List.of(HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256,
                HexFormat.of().formatHex(digest(5, "a")))), null, new Consents(true, true, true))).await()
                .atMost(AT_MOST);
        assertEquals(List.of(sharded.numberOf("taker")), resolve(base, List.of(digest(5, "a"))));

        ShardedBulk again = base.shardedBulk();
        BulkChunk same = base.bulkChunk(PEOPLE, null);
        for (int i = 0; i < PEOPLE; i++) {
            same.add(person(i, "a"));
        }
        again.write(same, new BitSet()).join();
        assertEquals(0, again.relinkedLines.get(), "unchanged records take no write across shards");
        for (int i = 0; i < PEOPLE; i++) {
            assertEquals(numbers.get(i), sharded.numberOf("bulk-" + i), "a replacement keeps its number");
        }
        assertEquals(numbers, resolve(base, digests), "every identifier its subscriber's, person 5's again too");
        assertEquals(sorted(numbers.get(6), numbers.get(7)), sharded.household("family-a-3"));
        assertNoTrace(sharded.keys);
    }

    @Test
    void aSubscriberTakenOverBetweenThePassesKeepsNoStaleLink() {
        assertEquals(List.of(-1L, -1L), takenOverBetweenThePasses(true), "stale links of the load");
    }

    @Test
    void withoutTheCheckAfterwardsTheLoadsStaleLinksStay() {
        // The defence switched off: the entries the load appended for a subscriber a PUT and an erasure took over
        // meanwhile still resolve to them.
        List<Long> stale = takenOverBetweenThePasses(false);
        assertTrue(stale.get(0) >= 0 && stale.get(1) >= 0, "the attack this check prevents");
    }

    /**
     * A chunk of new subscribers, and between its records and its links a PUT moves person 0 to other identifiers and
     * household and an erasure removes person 1; answers what their identifiers from the load resolve to.
     */
    private List<Long> takenOverBetweenThePasses(boolean linkAgain) {
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "bulk-taken", SHARDS);
        SubscriberStore base = sharded.store;
        ShardedBulk bulk = base.shardedBulk();
        bulk.linkTakenOverAgain = linkAgain;
        bulk.betweenPasses = () -> base.upsert(person(0, "z")).replaceWithVoid()
                .chain(() -> base.erase("bulk-1")).replaceWithVoid();
        BulkChunk chunk = base.bulkChunk(PEOPLE, null);
        for (int i = 0; i < PEOPLE; i++) {
            chunk.add(person(i, "a"));
        }
        bulk.write(chunk, new BitSet()).join();

        long zero = sharded.numberOf("bulk-0");
        assertEquals(List.of(zero), resolve(base, List.of(digest(0, "z"))), "the PUT's identifier is linked");
        assertEquals(List.of(sharded.numberOf("bulk-2")), resolve(base, List.of(digest(2, "a"))));
        assertEquals(linkAgain ? 0 : 2, sharded.household("family-a-0").size(), "the old household's members");
        assertEquals(List.of(zero), sharded.household("family-z-0"));
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = sharded.keys.shard(s);
            long loading = redis.withShared(shard.slot(), r -> r.bitcount(shard.key("loading"))).await()
                    .atMost(AT_MOST);
            assertEquals(0, loading, "loading bits left in shard " + s);
        }
        return resolve(base, List.of(digest(0, "a"), digest(1, "a")));
    }

    private static List<Long> sorted(long a, long b) {
        return List.of(Math.min(a, b), Math.max(a, b));
    }

    private static Subscriber person(int i, String version) {
        return new Subscriber("bulk-" + i, List.of(
                HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256, HexFormat.of().formatHex(digest(i, version)))),
                "family-" + version + "-" + (i / 2), new Consents(true, i % 2 == 0, true));
    }

    private static byte[] digest(int i, String version) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(("bulk-" + version + "-" + i)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Long> resolve(SubscriberStore base, List<byte[]> digests) {
        try (IdentifierLookup.Lookups lookups = new IdentifierLookup(base, redis).open()) {
            var answer = lookups.resolve(IdentifierType.EMAIL_SHA256, digests);
            lookups.flush();
            List<Long> out = new ArrayList<>();
            for (int n : answer.join()) {
                out.add(n < 0 ? -1L : n & 0xffffffffL);
            }
            return out;
        }
    }

    private void assertNoTrace(KeySpace keys) {
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            Map<byte[], byte[]> traces = redis.withShared(shard.slot(),
                    r -> r.hgetall(ShardedSubscriberWrites.relinkKey(shard))).await().atMost(AT_MOST);
            assertEquals(0, traces.size(), "relink traces left in shard " + s);
        }
    }
}
