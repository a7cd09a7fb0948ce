package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.PackedArgs;
import be.audiencematch.redis.RedisConnections;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Supplier;

/**
 * A bulk load's chunk in a base of several shards, in the two passes docs/scaling.md describes ("A write across
 * shards": the bulk load). First the records, by home shard, in record-bucket order, with the one-shard load's script
 * ({@code bulk_records.lua}, given the home shard's keys): a new subscriber gets its local number, its bits and a
 * {@code loading} bit; a subscriber that exists already is left to {@link ShardedReplacements} (the three steps of a
 * subscriber write, its links being in other shards). Then the new subscribers' links, appended in the shards of their
 * index and household buckets ({@link ShardedLinks}); then the check afterwards in each home shard, which clears the
 * loading bits and names the subscribers a {@code PUT} or an erasure took over meanwhile, whose links are written
 * again from their current record. The chunk is done when all are, so the next chunk's lines, which may name the same
 * subscribers, come after. A chunk cut short leaves loading bits and relink traces, which keep its subscribers
 * unmatched: the load sent again replaces them and links them whole. One per load, used by its worker thread.
 */
final class ShardedBulk {

    /** Lines a record call takes: a few milliseconds of Redis. */
    private static final int RECORDS_PER_CALL = 2048;
    /**
     * Home shards whose calls go at once (each one's in turn): every call waits behind those sent before it on its
     * primary, and too many at once outlast the command timeout on a single Redis.
     */
    private static final int SHARDS_AT_ONCE = 8;
    /** How many times a record call goes again for keys it was not given, before the load fails with 503. */
    private static final int RECORD_CALL_ATTEMPTS = 8;

    private final SubscriberStore store;
    private final RedisConnections redis;
    private final KeySpace keys;
    private final ShardedLinks links;
    private final ShardedReplacements replacements;
    /**
     * Each home shard's next local number as the last chunk left it: the record calls' guess (bulk_records.lua writes
     * the records as sent when it holds); read from Redis for the first chunk.
     */
    private long[] nextLocal;
    /**
     * Runs between a chunk's records and its links: what another request may do there (tests of the check
     * afterwards).
     */
    Supplier<Uni<Void>> betweenPasses = () -> Uni.createFrom().voidItem();
    /** Whether the subscribers the check afterwards names are linked again (off only to show what it prevents). */
    boolean linkTakenOverAgain = true;
    /** Lines written as three-step writes (ShardedReplacements) so far: existing subscribers whose links changed. */
    final java.util.concurrent.atomic.AtomicInteger relinkedLines = new java.util.concurrent.atomic.AtomicInteger();

    ShardedBulk(SubscriberStore store, RedisConnections redis, KeySpace keys) {
        this.store = store;
        this.redis = redis;
        this.keys = keys;
        this.links = new ShardedLinks(store, redis, keys);
        this.replacements = new ShardedReplacements(store, redis, keys);
    }

    /** A home shard's new subscribers of a chunk: their local numbers and line positions, in the order numbered. */
    static final class Created {
        private final List<Long> locals = new ArrayList<>();
        private final List<Integer> positions = new ArrayList<>();

        void add(long local, int position) {
            locals.add(local);
            positions.add(position);
        }

        /** The local numbers as ranges (first, length). */
        List<long[]> ranges() {
            List<long[]> ranges = new ArrayList<>();
            for (long local : locals) {
                long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
                if (last != null && last[0] + last[1] == local) {
                    last[1]++;
                } else {
                    ranges.add(new long[] {local, 1});
                }
            }
            return ranges;
        }
    }

    /**
     * Writes the chunk's lines (the last of each id); completes once every pass is done. Notes the index families
     * appended to in {@code appended} (compacted at the load's end, {@link #compact}). Call on the load's worker.
     */
    CompletableFuture<Void> write(BulkChunk chunk, BitSet appended) {
        int shards = keys.shards();
        if (nextLocal == null) {
            nextLocal = RedisConnections.awaitOnWorker(redis.onEach(keys.everyShard(),
                    (at, r) -> r.get(at.key("seq"))).subscribeAsCompletionStage()).stream()
                    .mapToLong(seq -> seq == null ? 0 : Long.parseLong(new String(seq, StandardCharsets.US_ASCII)))
                    .toArray();
        }
        int[] bucketOf = new int[chunk.size()];
        boolean[] superseded = chunk.superseded();
        int kept = 0;
        for (int p = 0; p < chunk.size(); p++) {
            bucketOf[p] = superseded[p] ? -1 : chunk.buckets.ofHash(chunk.idHash[p]);
            kept += superseded[p] ? 0 : 1;
        }
        int[][] byHome = byHome(BulkLines.sortedBy(bucketOf, 1 << chunk.buckets.bits(), kept), bucketOf, shards);
        int[] number = new int[chunk.size()];
        Arrays.fill(number, -1);
        int[] owned = new int[chunk.size()];
        Arrays.fill(owned, -1);
        Created[] created = new Created[shards];
        // The load waits for every stream at its end (SettledWrites.blocking): which ones a chunk touched is not kept.
        Set<Integer> touched = new ConcurrentSkipListSet<>();
        List<Uni<Void>> homes = new ArrayList<>();
        for (int home = 0; home < shards; home++) {
            if (byHome[home].length > 0) {
                created[home] = new Created();
                homes.add(records(chunk, home, byHome[home], bucketOf, number, owned, created[home], touched));
            }
        }
        return Multi.createFrom().iterable(homes).onItem().transformToUni(home -> home).merge(SHARDS_AT_ONCE)
                .collect().asList()
                .chain(() -> betweenPasses.get())
                .chain(() -> links.append(chunk, number, appended, touched))
                .chain(() -> links.own(chunk, owned))
                .chain(() -> checked(chunk, created, touched))
                .replaceWithVoid().subscribeAsCompletionStage();
    }

    /** The positions in {@code order} by home shard (bucket mod S), each shard's in the same order. */
    private static int[][] byHome(int[] order, int[] bucketOf, int shards) {
        int[] count = new int[shards];
        for (int p : order) {
            count[bucketOf[p] % shards]++;
        }
        int[][] byHome = new int[shards][];
        for (int s = 0; s < shards; s++) {
            byHome[s] = new int[count[s]];
            count[s] = 0;
        }
        for (int p : order) {
            int s = bucketOf[p] % shards;
            byHome[s][count[s]++] = p;
        }
        return byHome;
    }

    /**
     * One home shard's record calls, one after the other, their arguments built here (on the load's worker), each
     * with the numbers the shard gives if every line is new; then its lines left to {@link ShardedReplacements}.
     */
    private Uni<Void> records(BulkChunk chunk, int home, int[] positions, int[] bucketOf, int[] number, int[] owned,
                              Created created, Set<Integer> touched) {
        KeySpace.Keys at = keys.shard(home);
        ChangeKeys changes = store.settled.keys(home);
        BulkRecordCalls calls = new BulkRecordCalls(store, chunk, at, changes);
        Uni<Void> chain = Uni.createFrom().voidItem();
        long expected = nextLocal[home];
        for (int from = 0; from < positions.length; from += RECORDS_PER_CALL) {
            int[] slice = Arrays.copyOfRange(positions, from, Math.min(positions.length, from + RECORDS_PER_CALL));
            List<String> names = new ArrayList<>(calls.names(slice, bucketOf, expected, false));
            // The change times beside each record bucket (in this shard too): a subscriber without links is
            // replaced here whole; one with links is left to ShardedReplacements, its index keys being undeclared.
            for (int start = 0; start < slice.length; start = BulkLines.runEnd(slice, start, bucketOf)) {
                names.add("consent-times:" + chunk.buckets.name(bucketOf[slice[start]]));
            }
            PackedArgs args = calls.args(slice, bucketOf, expected, names, false);
            long guess = expected;
            chain = chain.chain(() -> recordCall(at, args, 1, names,
                    asked -> new BulkRecordCalls(store, chunk, at, changes).args(slice, bucketOf, guess, asked, false)))
                    .chain(reply -> numbered(chunk, home, slice, reply, number, owned, created, touched));
            expected += slice.length;
        }
        return chain;
    }

    /** A record call; one that asked for keys it was not given ({@code am:hhof} blocks) goes again with them. */
    private Uni<List<Object>> recordCall(KeySpace.Keys at, PackedArgs args, int attempt, List<String> names,
                                         java.util.function.Function<List<String>, PackedArgs> withNames) {
        return redis.withShared(at.slot(), r -> BulkChunk.RECORDS.run(r,
                () -> new NestedMultiOutput<>(ByteArrayCodec.INSTANCE), args)).flatMap(reply -> {
                    if (reply.get(0) instanceof Long) {
                        return Uni.createFrom().item(reply);
                    }
                    if (attempt >= RECORD_CALL_ATTEMPTS) {
                        return Uni.createFrom().failure(new ProblemException(503, "Service Unavailable",
                                "the subscribers of this load kept changing while it ran; send it again"));
                    }
                    List<String> asked = new ArrayList<>(names);
                    for (Object name : reply.subList(1, reply.size())) {
                        asked.add(new String((byte[]) name, StandardCharsets.UTF_8));
                    }
                    return recordCall(at, withNames.apply(asked), attempt + 1, asked, withNames);
                });
    }

    /**
     * A record call's answer: its new subscribers numbered from its first new number in argument order; those that
     * exist with the same record (flag '3', a feed sent again) given their global number in {@code owned}, to make
     * their identifiers theirs again; those that exist with other links (flag '2') written by
     * {@link ShardedReplacements}.
     */
    private Uni<Void> numbered(BulkChunk chunk, int home, int[] slice, List<Object> reply, int[] number, int[] owned,
                               Created created, Set<Integer> touched) {
        long local = (Long) reply.get(0);
        byte[] flags = (byte[]) reply.get(1);
        byte[] unchanged = (byte[]) reply.get(2);
        List<Integer> existing = new ArrayList<>();
        for (int j = 0, k = 0; j < flags.length; j++) {
            if (flags[j] == '1') {
                number[slice[j]] = (int) (local * keys.shards() + home);
                created.add(local++, slice[j]);
            } else if (flags[j] == '2') {
                existing.add(slice[j]);
            } else if (flags[j] == '3') {
                long was = (unchanged[4 * k] & 0xffL) << 24 | (unchanged[4 * k + 1] & 0xff) << 16
                        | (unchanged[4 * k + 2] & 0xff) << 8 | (unchanged[4 * k + 3] & 0xff);
                k++;
                owned[slice[j]] = (int) (was * keys.shards() + home);
            }
        }
        nextLocal[home] = Math.max(nextLocal[home], local);
        relinkedLines.addAndGet(existing.size());
        return existing.isEmpty() ? Uni.createFrom().voidItem()
                : replacements.write(home, existing, chunk, number, created, touched);
    }

    /** The check afterwards in every home shard; the subscribers taken over meanwhile linked again. */
    private Uni<Void> checked(BulkChunk chunk, Created[] created, Set<Integer> touched) {
        List<Uni<Void>> checks = new ArrayList<>();
        for (int home = 0; home < created.length; home++) {
            Created fresh = created[home];
            if (fresh == null || fresh.locals.isEmpty()) {
                continue;
            }
            int shard = home;
            checks.add(links.checked(shard, fresh.ranges()).flatMap(lost -> {
                List<Uni<Void>> again = new ArrayList<>();
                for (long local : linkTakenOverAgain ? lost : List.<Long>of()) {
                    int p = fresh.positions.get(fresh.locals.indexOf(local));
                    String id = new String(chunk.ids, chunk.idStart(p), chunk.idEnd(p) - chunk.idStart(p),
                            StandardCharsets.US_ASCII);
                    again.add(store.sharded().linkAgain(id, shard, local,
                            SubscriberRecordFormat.record(local, chunk.recordTail(p)), touched));
                }
                return again.isEmpty() ? Uni.createFrom().voidItem()
                        : Uni.join().all(again).andFailFast().replaceWithVoid();
            }));
        }
        return checks.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(checks).andFailFast().replaceWithVoid();
    }

    /**
     * Rewrites the index buckets a load appended to, each in its shard (IndexFormat.compact): appending grows a
     * bucket's string by doubling it.
     */
    CompletableFuture<Void> compact(BitSet appended) {
        int bits = store.buckets().bits();
        Map<Integer, BitSet> byShard = new TreeMap<>();
        for (int f = appended.nextSetBit(0); f >= 0; f = appended.nextSetBit(f + 1)) {
            byShard.computeIfAbsent((f & ((1 << bits) - 1)) % keys.shards(), s -> new BitSet()).set(f);
        }
        List<Uni<Long>> calls = new ArrayList<>();
        byShard.forEach((shard, families) -> calls.add(redis.withShared(keys.shard(shard).slot(),
                r -> IndexFormat.compact(store, r, families, null))));
        return calls.isEmpty() ? CompletableFuture.completedFuture(null)
                : Uni.join().all(calls).andFailFast().replaceWithVoid().subscribeAsCompletionStage();
    }
}
