package be.audiencematch.consent;

import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.Buckets;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Finds subscribers by identifier digest in the identifier index (identifier_resolve.lua): what list matching
 * (matching/) needs of the base, and all it may use of it (docs/architecture.md, "Packages"). An index bucket lives
 * in shard bucket mod S and its entries name global numbers (docs/scaling.md, "Placement").
 */
@ApplicationScoped
public class IdentifierLookup {

    private static final RedisScript RESOLVE = RedisScript.load("identifier_resolve", "index_lib");
    /** A resolve row: the position of its bucket in KEYS (u16), then the index field (identifier_resolve.lua). */
    private static final int RESOLVE_ROW_BYTES = 2 + IndexEntryFormat.FIELD_BYTES;
    /** The most digests one resolve call takes: a row names its bucket by a u16 position. */
    private static final int RESOLVE_BATCH_MAX = 65_535;

    private final SubscriberStore store;
    private final RedisConnections redis;

    public IdentifierLookup(SubscriberStore store, RedisConnections redis) {
        this.store = store;
        this.redis = redis;
    }

    /** The index's buckets: a list is sorted by them before it is looked up. */
    public Buckets buckets() {
        return store.buckets();
    }

    /** On a worker thread, before an upload: 503 while the index is being converted (SubscriberStore.awaitIndex). */
    public void awaitIndex() {
        store.awaitIndex();
    }

    /**
     * Loads the resolve script on an upload's connection before its pipelined calls (RedisScript.preload).
     */
    public void preload(StatefulRedisConnection<byte[], byte[]> connection) {
        RedisScript.preload(connection, RESOLVE);
    }

    /**
     * The order an upload sorts its digests in before looking them up: by the shard of their index bucket (bucket
     * mod S), then by bucket, so that a batch's rows go to one shard and a bucket serves several rows in a row
     * (docs/performance.md, "Uploads: sorted by bucket"). With one shard, by bucket.
     */
    public Comparator<byte[]> order() {
        int shards = store.keySpace().shards();
        Comparator<byte[]> byBucket = Comparator.comparingInt(IdentifierLookup::leadingBytes);
        if (shards == 1) {
            // An upload sorts up to a million digests: no shard to compute for each comparison.
            return byBucket;
        }
        Buckets buckets = buckets();
        return Comparator.<byte[]>comparingInt(d -> buckets.ofDigest(d) % shards).thenComparing(byBucket);
    }

    /** The digest's first three bytes: every bucket size (8 to 20 bits) is a prefix of them. */
    private static int leadingBytes(byte[] d) {
        return ((d[0] & 0xff) << 16) | ((d[1] & 0xff) << 8) | (d[2] & 0xff);
    }

    /**
     * An upload's look-ups, on a worker thread: a bulk connection to each primary that holds index buckets (one in a
     * base of one shard), the resolve script loaded on each. Close it at the end of the upload.
     */
    public Lookups open() {
        List<StatefulRedisConnection<byte[], byte[]>> connections = RedisConnections.awaitOnWorker(
                redis.bulkEach(store.keySpace().everyShard()).toCompletableFuture());
        Lookups lookups = new Lookups(connections);
        lookups.distinct().forEach(this::preload);
        return lookups;
    }

    /** One upload's connections, by shard (shards on one primary share one). */
    public final class Lookups implements AutoCloseable {
        private final List<StatefulRedisConnection<byte[], byte[]>> byShard;

        private Lookups(List<StatefulRedisConnection<byte[], byte[]>> byShard) {
            this.byShard = byShard;
        }

        private Set<StatefulRedisConnection<byte[], byte[]>> distinct() {
            Set<StatefulRedisConnection<byte[], byte[]>> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
            distinct.addAll(byShard);
            return distinct;
        }

        /**
         * Resolves digests to global subscriber numbers (-1 where no one has the identifier), in their order: one
         * call for each shard their index buckets are in, queued on that shard's connection (send with
         * {@link #flush}). A batch sorted by {@link #order()} is mostly one shard's.
         */
        public CompletableFuture<int[]> resolve(IdentifierType type, List<byte[]> digests) {
            int shards = byShard.size();
            if (shards == 1) {
                return IdentifierLookup.this.resolve(byShard.get(0).async(), type, digests).toCompletableFuture();
            }
            Map<Integer, List<Integer>> positions = new TreeMap<>();
            for (int i = 0; i < digests.size(); i++) {
                positions.computeIfAbsent(buckets().ofDigest(digests.get(i)) % shards, s -> new ArrayList<>()).add(i);
            }
            int[] out = new int[digests.size()];
            List<CompletableFuture<Void>> parts = new ArrayList<>();
            positions.forEach((shard, at) -> {
                List<byte[]> part = new ArrayList<>(at.size());
                at.forEach(i -> part.add(digests.get(i)));
                parts.add(IdentifierLookup.this.resolve(byShard.get(shard).async(), type, part)
                        .thenAccept(numbers -> {
                            for (int k = 0; k < numbers.length; k++) {
                                out[at.get(k)] = numbers[k];
                            }
                        }).toCompletableFuture());
            });
            return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(all -> out);
        }

        /** Sends what {@link #resolve} queued. */
        public void flush() {
            distinct().forEach(StatefulRedisConnection::flushCommands);
        }

        @Override
        public void close() {
            distinct().forEach(StatefulRedisConnection::closeAsync);
        }
    }

    /**
     * Resolves digests to subscriber numbers (-1 where no one has the identifier) in one script call per batch,
     * which costs Redis about a microsecond a row and the JVM next to nothing. Commands are queued on {@code r};
     * the caller flushes when it uses a dedicated connection.
     */
    public CompletionStage<int[]> resolve(RedisAsyncCommands<byte[], byte[]> r, IdentifierType type,
                                          List<byte[]> digests) {
        // KEYS: the batch's buckets in order of first use (callers sort a batch by bucket, so a bucket comes once;
        // any order is answered correctly, a bucket then named again); each row: its bucket's position, the field.
        if (digests.size() > RESOLVE_BATCH_MAX) {
            throw new IllegalArgumentException("at most " + RESOLVE_BATCH_MAX + " digests a resolve call");
        }
        byte[][] keys = new byte[digests.size()][];
        int named = 0;
        int previous = -1;
        byte[] rows = new byte[digests.size() * RESOLVE_ROW_BYTES];
        int at = 0;
        for (byte[] digest : digests) {
            int bucket = buckets().ofDigest(digest);
            if (bucket != previous || named == 0) {
                keys[named++] = store.indexKey(type, bucket);
                previous = bucket;
            }
            rows[at++] = (byte) (named >>> 8);
            rows[at++] = (byte) named;
            IndexEntryFormat.field(digest, rows, at);
            at += IndexEntryFormat.FIELD_BYTES;
        }
        return RESOLVE.<byte[]>run(r, ScriptOutputType.VALUE, Arrays.copyOf(keys, named), rows)
                .thenApply(IdentifierLookup::numbers);
    }

    /** The resolve script's answer as numbers: 4 bytes a row, most significant first; FF FF FF FF (-1) for none. */
    private static int[] numbers(byte[] packed) {
        int[] numbers = new int[packed.length / 4];
        for (int i = 0; i < numbers.length; i++) {
            int at = 4 * i;
            numbers[i] = (packed[at] << 24) | ((packed[at + 1] & 0xff) << 16) | ((packed[at + 2] & 0xff) << 8)
                    | (packed[at + 3] & 0xff);
        }
        return numbers;
    }

}
