package be.audiencematch.consent;

import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The identifier index's layout: one string of 12-byte entries per bucket (index_lib.lua), recorded in the base's
 * layout hash as {@code index_format}. A base whose index still has the former layout (a hash per bucket) is
 * converted once, bucket by bucket, by the first service of this version that finds it; until that is done the
 * index is not used (readiness is down and the calls that read or write it answer 503), since a script meeting a
 * bucket of the other layout would fail half-way. The same script also shrinks the buckets a bulk load appended to.
 */
final class IndexFormat {

    private static final Logger LOG = Logger.getLogger(IndexFormat.class);
    private static final byte[] FIELD = "index_format".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENTRIES = "entries".getBytes(StandardCharsets.US_ASCII);
    private static final RedisScript COMPACT = RedisScript.load("index_compact", "index_lib");
    /** Buckets per script call: a few milliseconds of Redis at most for a 10M base's buckets of ~76 entries. */
    private static final int KEYS_PER_CALL = 512;

    private final SubscriberStore store;
    private final RedisConnections redis;
    private volatile boolean current;
    private final AtomicBoolean converting = new AtomicBoolean();
    /** The conversion running or last run (for tests); completes when it ends, either way. */
    private volatile CompletableFuture<Void> conversion = CompletableFuture.completedFuture(null);

    IndexFormat(SubscriberStore store, RedisConnections redis) {
        this.store = store;
        this.redis = redis;
    }

    /**
     * Whether the index has this version's layout. The first call on a base that has another one starts its
     * conversion in the background and answers false until it is done; a base without any subscriber yet simply
     * gets the layout recorded.
     */
    Uni<Boolean> current() {
        if (current) {
            return Uni.createFrom().item(true);
        }
        if (converting.get()) {
            return Uni.createFrom().item(false);
        }
        if (store.keySpace().shards() > 1) {
            // A base of several shards is laid out by a version with this index layout (none older can convert
            // to it: docs/scaling.md, "Build order").
            current = true;
            return Uni.createFrom().item(true);
        }
        byte[] layout = store.layoutKey();
        return redis.withShared(r -> r.hget(layout, FIELD).thenCompose(recorded -> {
            if (recorded != null && Arrays.equals(recorded, ENTRIES)) {
                return CompletableFuture.completedFuture(true);
            }
            return r.exists(store.seqKey()).thenCompose(subscribers -> subscribers == 0
                    ? r.hset(layout, FIELD, ENTRIES).thenApply(set -> true)
                    : CompletableFuture.completedFuture(false));
        })).map(ready -> {
            if (ready) {
                current = true;
            } else {
                convert();
            }
            return ready;
        });
    }

    /** On a worker thread (a bulk load or an upload): fails with 503 while the index is not yet in this layout. */
    void awaitCurrent() {
        if (!current && !RedisConnections.awaitOnWorker(current().subscribeAsCompletionStage().toCompletableFuture())) {
            throw notYet();
        }
    }

    /** The same for a request served from an event loop. */
    <T> Uni<T> whenCurrent(Supplier<Uni<T>> work) {
        return current ? work.get() : current().chain(ready -> ready ? work.get() : Uni.createFrom().failure(notYet()));
    }

    private static ProblemException notYet() {
        return new ProblemException(503, "Service Unavailable",
                "the identifier index is being converted to this version's layout; retry in a few seconds");
    }

    /** The conversion running or last run (for tests). */
    CompletableFuture<Void> conversion() {
        return conversion;
    }

    private void convert() {
        if (!converting.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<Void> ended = new CompletableFuture<>();
        conversion = ended;
        long started = System.nanoTime();
        BitSet all = new BitSet();
        all.set(0, IdentifierType.values().length << store.buckets().bits());
        redis.withShared(r -> compact(store, r, all, null).thenCompose(converted ->
                        r.hset(store.layoutKey(), FIELD, ENTRIES).thenApply(set -> converted)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .subscribe().with(converted -> {
                    current = true;
                    converting.set(false);
                    LOG.infof("identifier index converted to entries: %d buckets in %d ms", converted,
                            (System.nanoTime() - started) / 1_000_000);
                    ended.complete(null);
                }, failure -> {
                    converting.set(false);
                    LOG.warnf("identifier index conversion stopped (%s); the next readiness check resumes it",
                            failure.getClass().getSimpleName());
                    ended.complete(null);
                });
    }

    /**
     * Rewrites the index buckets of the given families (type, then bucket: BulkChunk's numbering) one call of
     * {@value #KEYS_PER_CALL} after the other; completes with how many were converted from the former layout.
     * {@code connection}, when given, is flushed after each call (a dedicated connection with auto-flush off).
     */
    static CompletionStage<Long> compact(SubscriberStore store, RedisAsyncCommands<byte[], byte[]> r, BitSet families,
                                         StatefulRedisConnection<byte[], byte[]> connection) {
        int bits = store.buckets().bits();
        IdentifierType[] types = IdentifierType.values();
        List<byte[]> keys = new ArrayList<>();
        CompletionStage<Long> done = CompletableFuture.completedFuture(0L);
        for (int f = families.nextSetBit(0); f >= 0; f = families.nextSetBit(f + 1)) {
            keys.add(store.indexKey(types[f >>> bits], f & ((1 << bits) - 1)));
            if (keys.size() == KEYS_PER_CALL || families.nextSetBit(f + 1) < 0) {
                byte[][] batch = keys.toArray(new byte[0][]);
                keys.clear();
                done = done.thenCompose(sum -> {
                    CompletionStage<Long> call = COMPACT.run(r, ScriptOutputType.INTEGER, batch);
                    if (connection != null) {
                        connection.flushCommands();
                    }
                    return call.thenApply(converted -> sum + (Long) converted);
                });
            }
        }
        return done;
    }
}
