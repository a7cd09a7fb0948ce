package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * The lines of a bulk chunk in a base of several shards that its record calls left to this path (bulk_records.lua's
 * flag '2'): subscribers that exist already, whose links live in other shards. Each is written as the three steps of a
 * subscriber write (docs/scaling.md, "A write across shards"): {@code bulk_home.lua} in the home shard (record, bits,
 * relink trace), then {@code subscriber_links.lua} and {@code subscriber_linked.lua} ({@link ShardedSubscriberWrites}),
 * a batch a call. One erased meanwhile is created again here, with a {@code loading} bit, and joins the chunk's new
 * subscribers.
 */
final class ShardedReplacements {

    private static final RedisScript HOME = RedisScript.load("bulk_home", "view_lib", "audit_lib", "index_lib",
            "record_lib", "consent_lib", "subscriber_lib", "relink_lib");
    /** Lines a bulk_home.lua call takes: a few milliseconds of Redis. */
    private static final int LINES_PER_CALL = 512;

    private final SubscriberStore store;
    private final RedisConnections redis;
    private final KeySpace keys;

    ShardedReplacements(SubscriberStore store, RedisConnections redis, KeySpace keys) {
        this.store = store;
        this.redis = redis;
        this.keys = keys;
    }

    /**
     * Writes these lines of home shard {@code home}, batch after batch; a line that creates its subscriber gets its
     * global number in {@code number} and joins {@code created}.
     */
    Uni<Void> write(int home, List<Integer> positions, BulkChunk chunk, int[] number, ShardedBulk.Created created,
                    Set<Integer> touched) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (int from = 0; from < positions.size(); from += LINES_PER_CALL) {
            List<Line> batch = new ArrayList<>();
            for (int p : positions.subList(from, Math.min(positions.size(), from + LINES_PER_CALL))) {
                batch.add(line(chunk, p));
            }
            chain = chain.chain(() -> home(home, batch, List.of("hhof"), 1)
                    .flatMap(written -> sorted(home, batch, written, number, created, touched)));
        }
        return chain;
    }

    /** Numbers a batch's new subscribers; links its replaced ones (the three steps of a write). */
    private Uni<Void> sorted(int home, List<Line> batch, List<ShardedSubscriberWrites.Home> written, int[] number,
                             ShardedBulk.Created created, Set<Integer> touched) {
        List<String> replacedIds = new ArrayList<>();
        List<ShardedSubscriberWrites.Home> replaced = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            ShardedSubscriberWrites.Home h = written.get(i);
            Line line = batch.get(i);
            if (h.created()) {
                number[line.position()] = (int) (h.local() * keys.shards() + home);
                created.add(h.local(), line.position());
            } else {
                replacedIds.add(line.id());
                replaced.add(h);
            }
        }
        return replaced.isEmpty() ? Uni.createFrom().voidItem()
                : store.sharded().link(replacedIds, replaced, touched);
    }

    /** One line as step 1 takes it. */
    private record Line(int position, String id, int bucket, byte[] tail, byte[] meta) {
    }

    private static Line line(BulkChunk chunk, int p) {
        String id = new String(chunk.ids, chunk.idStart(p), chunk.idEnd(p) - chunk.idStart(p),
                StandardCharsets.US_ASCII);
        int mask = chunk.consents[p];
        int tag = chunk.householdTag(p);
        byte[] meta = {(byte) ('0' + (mask & 1)), (byte) ('0' + (mask >> 1 & 1)), (byte) ('0' + (mask >> 2 & 1)),
            (byte) (tag >>> 24), (byte) (tag >>> 16), (byte) (tag >>> 8), (byte) tag};
        return new Line(p, id, chunk.buckets.ofHash(chunk.idHash[p]), chunk.recordTail(p), meta);
    }

    /** bulk_home.lua for a batch of one home shard; each line's Home, in order. */
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
