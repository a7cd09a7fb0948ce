package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.PackedArgs;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.smallrye.mutiny.Uni;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/**
 * The links of a bulk chunk's new subscribers in a base of several shards (docs/scaling.md, "A write across shards":
 * the bulk load's two passes), once their records are written with a {@code loading} bit: their identifier entries
 * appended in the shards of their index buckets ({@code bulk_append.lua}), their household entries in the shards of
 * their household buckets ({@code bulk_households.lua}), every shard's calls at once; then, in each home shard, the
 * check afterwards ({@code bulk_checked.lua}) that clears the bits and names the subscribers a {@code PUT} or an
 * erasure took over meanwhile. Numbers here are global.
 */
final class ShardedLinks {

    private static final RedisScript APPEND = RedisScript.load("bulk_append");
    private static final RedisScript OWN = RedisScript.load("bulk_own", "index_lib");
    private static final RedisScript HOUSEHOLDS = BulkLinks.HOUSEHOLDS;
    private static final RedisScript CHECKED = RedisScript.load("bulk_checked", "bulk_lib");
    /** Entries a call appends: a few milliseconds of Redis. */
    private static final int ENTRIES_PER_CALL = 4096;

    private final SubscriberStore store;
    private final RedisConnections redis;
    private final KeySpace keys;

    ShardedLinks(SubscriberStore store, RedisConnections redis, KeySpace keys) {
        this.store = store;
        this.redis = redis;
        this.keys = keys;
    }

    /**
     * Appends the identifier and household entries of the chunk's lines that have a global number in {@code number}
     * (-1: none), notes the index families (type, then bucket) appended to in {@code appended}, and the shards whose
     * change streams the household calls appended to in {@code touched}.
     */
    Uni<Void> append(BulkChunk chunk, int[] number, BitSet appended, Set<Integer> touched) {
        List<Uni<Long>> calls = new ArrayList<>();
        identifiers(new BulkLinks(store, chunk, null).identifierEntries(number), chunk.buckets.bits(), appended,
                APPEND, calls);
        households(new BulkHouseholds(store, chunk), number, touched, calls);
        return calls.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(calls).andFailFast().replaceWithVoid();
    }

    /** A shard's identifier call being filled: its index buckets and, for each, the entries to append. */
    private static final class Appends {
        final List<byte[]> buckets = new ArrayList<>();
        final List<byte[]> entries = new ArrayList<>();
        int count;
    }

    /**
     * Makes the identifiers of the lines with a global number in {@code owned} (-1: none) their subscribers' again, in
     * their index buckets' shards ({@code bulk_own.lua}): the chunk's replaced subscribers whose record is unchanged.
     */
    Uni<Void> own(BulkChunk chunk, int[] owned) {
        List<Uni<Long>> calls = new ArrayList<>();
        identifiers(new BulkLinks(store, chunk, null).identifierEntries(owned), chunk.buckets.bits(), new BitSet(),
                OWN, calls);
        return calls.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(calls).andFailFast().replaceWithVoid();
    }

    /** Calls of {@code script} for the entries, a shard's runs of index buckets a call; notes the families. */
    private void identifiers(BulkLinks.Entries entries, int bits, BitSet appended, RedisScript script,
                             List<Uni<Long>> calls) {
        int shards = keys.shards();
        Appends[] open = new Appends[shards];
        int[] families = entries.families();
        for (int start = 0; start < families.length; ) {
            int family = families[start];
            int end = start + 1;
            while (end < families.length && families[end] == family) {
                end++;
            }
            int bucket = family & ((1 << bits) - 1);
            int shard = bucket % shards;
            Appends to = open[shard] == null ? open[shard] = new Appends() : open[shard];
            byte[] run = new byte[(end - start) * IndexEntryFormat.ENTRY_BYTES];
            for (int e = start; e < end; e++) {
                IndexEntryFormat.put(run, (e - start) * IndexEntryFormat.ENTRY_BYTES, entries.fields(),
                        e * IndexEntryFormat.FIELD_BYTES, entries.owners()[e]);
            }
            to.buckets.add(store.indexKey(BulkLines.TYPES[family >>> bits], bucket));
            to.entries.add(run);
            to.count += end - start;
            appended.set(family);
            if (to.count >= ENTRIES_PER_CALL) {
                calls.add(call(script, shard, to));
                open[shard] = null;
            }
            start = end;
        }
        for (int shard = 0; shard < shards; shard++) {
            if (open[shard] != null) {
                calls.add(call(script, shard, open[shard]));
            }
        }
    }

    private Uni<Long> call(RedisScript script, int shard, Appends appends) {
        byte[][] k = appends.buckets.toArray(new byte[0][]);
        byte[][] argv = appends.entries.toArray(new byte[0][]);
        return redis.withShared(keys.shard(shard).slot(), r -> script.run(r, ScriptOutputType.INTEGER, k, argv));
    }

    private void households(BulkHouseholds households, int[] number, Set<Integer> touched, List<Uni<Long>> calls) {
        BulkHouseholds.Groups groups = households.groups(number);
        int shards = keys.shards();
        int[] count = new int[shards];
        for (int g = 0; g < groups.count(); g++) {
            count[groups.bucketOf()[g] % shards]++;
        }
        int[][] byShard = new int[shards][];
        for (int s = 0; s < shards; s++) {
            byShard[s] = new int[count[s]];
            count[s] = 0;
        }
        // Groups come in bucket order, so each shard's stay in it.
        for (int g = 0; g < groups.count(); g++) {
            int s = groups.bucketOf()[g] % shards;
            byShard[s][count[s]++] = g;
        }
        for (int s = 0; s < shards; s++) {
            int shard = s;
            for (int from = 0; from < byShard[s].length; from += ENTRIES_PER_CALL) {
                int[] positions = java.util.Arrays.copyOfRange(byShard[s], from,
                        Math.min(byShard[s].length, from + ENTRIES_PER_CALL));
                touched.add(shard);
                KeySpace.Keys at = keys.shard(shard);
                calls.add(store.settled.step(shard, changes -> {
                    // The loading bitmap is only the script's guard of a one-shard load: with no ranges it checks
                    // nothing, and the check afterwards runs in the home shards (bulk_checked.lua).
                    PackedArgs args = households.call(groups, number, positions, List.of(at.key("loading"),
                            changes.seq(), changes.stream(), changes.viewKey()), List.of());
                    return redis.withShared(at.slot(), r -> HOUSEHOLDS.run(r,
                            () -> new IntegerOutput<>(ByteArrayCodec.INSTANCE), args));
                }));
            }
        }
    }

    /**
     * The check afterwards in one home shard: clears the loading bits of its new subscribers (ranges of local numbers:
     * first, length) and answers the local numbers a {@code PUT} or an erasure took over meanwhile.
     */
    Uni<List<Long>> checked(int shard, List<long[]> ranges) {
        KeySpace.Keys at = keys.shard(shard);
        List<byte[]> argv = new ArrayList<>();
        argv.add(Long.toString(ranges.size()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (long[] range : ranges) {
            argv.add(Long.toString(range[0]).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            argv.add(Long.toString(range[1]).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        return redis.withShared(at.slot(), r -> CHECKED.<List<Long>>run(r, ScriptOutputType.MULTI,
                new byte[][] {at.key("loading")}, argv.toArray(new byte[0][])));
    }
}
