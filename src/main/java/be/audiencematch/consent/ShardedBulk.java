package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * A bulk load's chunk in a base of several shards (docs/scaling.md, "A write across shards"): its lines grouped by
 * home shard, each group written as the three steps of a subscriber write, a batch a call: step 1 in the home shard
 * ({@code bulk_home.lua}: records, bits, relink traces; new subscribers numbered together and stamped with one
 * consent-times member), step 2 in the shards of the records' index and household buckets ({@code
 * subscriber_links.lua}), step 3 back in the home shard ({@code subscriber_linked.lua}). The home shards go at once,
 * each one's batches in turn; the chunk is done when all are, so the next chunk's lines, which may name the same
 * subscribers, come after. A chunk cut short leaves relink traces, which keep its subscribers unmatched until
 * {@link RelinkFinisher} links them.
 */
final class ShardedBulk {

    private static final RedisScript HOME = RedisScript.load("bulk_home", "view_lib", "audit_lib", "index_lib",
            "record_lib", "consent_lib", "subscriber_lib", "relink_lib");
    /** Lines a step-1 call takes: a few milliseconds of Redis. */
    private static final int LINES_PER_CALL = 512;
    /** Home shards written at once (their batches in turn). */
    private static final int SHARDS_AT_ONCE = 4;

    private final SubscriberStore store;
    private final RedisConnections redis;
    private final KeySpace keys;

    ShardedBulk(SubscriberStore store, RedisConnections redis, KeySpace keys) {
        this.store = store;
        this.redis = redis;
        this.keys = keys;
    }

    /** Writes the chunk's lines (the last of each id), on a worker thread: returns once every step is done. */
    void write(BulkChunk chunk) {
        boolean[] superseded = chunk.superseded();
        Map<Integer, List<Integer>> byHome = new TreeMap<>();
        for (int p = 0; p < chunk.size(); p++) {
            if (!superseded[p]) {
                int home = chunk.buckets.ofHash(chunk.idHash[p]) % keys.shards();
                byHome.computeIfAbsent(home, s -> new ArrayList<>()).add(p);
            }
        }
        // The load waits for every stream at its end (SettledWrites.blocking): which ones a chunk touched is not kept.
        Set<Integer> touched = new ConcurrentSkipListSet<>();
        List<Uni<Void>> shards = new ArrayList<>();
        byHome.forEach((home, positions) -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (int from = 0; from < positions.size(); from += LINES_PER_CALL) {
                List<Line> batch = new ArrayList<>();
                for (int p : positions.subList(from, Math.min(positions.size(), from + LINES_PER_CALL))) {
                    batch.add(line(chunk, p));
                }
                chain = chain.chain(() -> home(home, batch, List.of("hhof"), 1)
                        .flatMap(written -> store.sharded().link(batch.stream().map(Line::id).toList(), written,
                                touched)));
            }
            shards.add(chain);
        });
        if (!shards.isEmpty()) {
            // A few home shards at a time: every call waits behind those sent before it on its primary, and 64 at
            // once made the last ones outlast the command timeout on a single Redis.
            io.smallrye.mutiny.Multi.createFrom().iterable(shards).onItem().transformToUni(shard -> shard)
                    .merge(SHARDS_AT_ONCE).collect().asList().await().indefinitely();
        }
    }

    /** One line as step 1 takes it. */
    private record Line(String id, int bucket, byte[] tail, byte[] meta) {
    }

    private static Line line(BulkChunk chunk, int p) {
        String id = new String(chunk.ids, chunk.idStart(p), chunk.idEnd(p) - chunk.idStart(p),
                StandardCharsets.US_ASCII);
        int mask = chunk.consents[p];
        int tag = chunk.householdTag(p);
        byte[] meta = {(byte) ('0' + (mask & 1)), (byte) ('0' + (mask >> 1 & 1)), (byte) ('0' + (mask >> 2 & 1)),
            (byte) (tag >>> 24), (byte) (tag >>> 16), (byte) (tag >>> 8), (byte) tag};
        return new Line(id, chunk.buckets.ofHash(chunk.idHash[p]), chunk.recordTail(p), meta);
    }

    /** Step 1 for a batch of one home shard; each line's Home, in order. */
    private Uni<List<ShardedSubscriberWrites.Home>> home(int shard, List<Line> batch, List<String> names,
                                                         int attempt) {
        KeySpace.Keys at = keys.shard(shard);
        return store.settled.step(shard, changes -> {
            List<byte[]> k = new ArrayList<>(List.of(SubscriberStore.fixedKeys(at, changes)));
            k.add(ShardedSubscriberWrites.relinkingKey(at));
            k.add(ShardedSubscriberWrites.relinkKey(at));
            List<byte[]> argv = new ArrayList<>(List.of(bytes(Integer.toString(batch.size()))));
            for (Line line : batch) {
                k.add(store.recordKey(line.bucket()));
                k.add(store.consentTimesKey(line.bucket()));
                argv.addAll(List.of(bytes(line.id()), line.tail(), line.meta()));
            }
            argv.add(bytes(Integer.toString(names.size())));
            for (String name : names) {
                k.add(at.key(name));
                argv.add(bytes(name));
            }
            return redis.withShared(at.slot(), r -> HOME.<List<Object>>run(r, ScriptOutputType.MULTI,
                    k.toArray(new byte[0][]), argv.toArray(new byte[0][])));
        }).flatMap(reply -> {
            String first = new String((byte[]) reply.get(0), StandardCharsets.US_ASCII);
            if (!"keys".equals(first)) {
                List<ShardedSubscriberWrites.Home> written = new ArrayList<>(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    written.add(new ShardedSubscriberWrites.Home(first.charAt(i) == '1', shard,
                            (Long) reply.get(1 + 3 * i), (byte[]) reply.get(2 + 3 * i), (byte[]) reply.get(3 + 3 * i)));
                }
                return Uni.createFrom().item(written);
            }
            return home(shard, batch, AskedKeys.again(names, reply, attempt,
                    "the subscribers of this load kept changing while it ran"), attempt + 1);
        });
    }
}
