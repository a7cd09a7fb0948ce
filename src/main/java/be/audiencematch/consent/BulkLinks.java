package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.redis.PackedArgs;
import be.audiencematch.redis.QuietCommands;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Steps 2 to 4 of a bulk chunk (docs/architecture.md, "Flows": bulk load), once its new subscribers have numbers:
 * their identifier entries sorted by index bucket (plain APPENDs in guarded transactions, or bulk_identifiers.lua
 * where answers cannot be turned off), their household entries sorted by household bucket (bulk_households.lua),
 * then the clearing of the chunk's loading bits (bulk_loaded.lua). One per chunk, used on one worker thread.
 */
final class BulkLinks {

    static final RedisScript IDENTIFIERS = RedisScript.load("bulk_identifiers", "index_lib", "bulk_lib");
    static final RedisScript HOUSEHOLDS = RedisScript.load("bulk_households", "view_lib", "consent_lib", "bulk_lib");
    static final RedisScript GUARD = RedisScript.load("bulk_guard", "bulk_lib");
    static final RedisScript LOADED = RedisScript.load("bulk_loaded");
    /** Entries per step-2/3 call: a few milliseconds of Redis each. */
    private static final int ENTRIES_PER_CALL = 4096;

    private final SubscriberStore store;
    private final BulkLines lines;
    /** The index families (type, then bucket) the links sent appended to; none before or without links. */
    private int[] appendedFamilies = new int[0];

    /** The change stream the household step appends to (bulk_households.lua notes the households it changed). */
    private final ChangeKeys changes;

    BulkLinks(SubscriberStore store, BulkLines lines, ChangeKeys changes) {
        this.store = store;
        this.lines = lines;
        this.changes = changes;
    }

    private static byte[] ascii(String value) {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Steps 2 to 4 for these numbers, built and not yet sent: the identifier batches (quiet transactions or script
     * calls), the household calls, and what a discarded batch needs to go again.
     */
    record Links(int[] number, List<long[]> ranges, boolean quiet, Entries entries, byte[] marks,
                         List<QuietCommands> guarded, List<PackedArgs> byScript, List<PackedArgs> households) {
    }

    Links build(int[] number, List<long[]> ranges, boolean quiet) {
        Entries entries = identifierEntries(number);
        int batches = (entries.owners().length + ENTRIES_PER_CALL - 1) / ENTRIES_PER_CALL;
        byte[] marks = quiet ? store.bulkMarksKey(Long.toHexString(RANDOM.nextLong())) : null;
        List<QuietCommands> guarded = new ArrayList<>();
        List<PackedArgs> byScript = new ArrayList<>();
        for (int batch = 0; batch < batches; batch++) {
            if (quiet) {
                guarded.add(guardedBatch(entries, ranges, batch, marks));
            } else {
                byScript.add(guardedIdentifierArgs(entries, ranges, batch));
            }
        }
        return new Links(number, ranges, quiet, entries, marks, guarded, byScript, householdArgs(number, ranges));
    }

    /** Adds the index families (type, then bucket) this chunk's links appended to. */
    void appendedFamilies(BitSet into) {
        for (int family : appendedFamilies) {
            into.set(family);
        }
    }

    CompletableFuture<Void> send(StatefulRedisConnection<byte[], byte[]> connection, Links links) {
        appendedFamilies = links.entries().families();
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        calls.add(links.quiet() ? sendQuietly(connection, links) : sendByScript(connection, links));
        for (PackedArgs args : links.households()) {
            calls.add(HOUSEHOLDS.run(r, () -> new IntegerOutput<>(ByteArrayCodec.INSTANCE), args)
                    .toCompletableFuture());
        }
        connection.flushCommands();
        // The loading bits go last: a batch sent again after a discarded transaction still needs them.
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).thenCompose(linked -> {
            CompletableFuture<Long> loaded = LOADED.run(r, () -> new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                    withKeysAndRanges(List.of(store.loadingKey()), links.ranges(), 64)).toCompletableFuture();
            connection.flushCommands();
            return loaded.thenApply(done -> null);
        });
    }

    /**
     * Step 2's entries: the new subscribers' identifier entries, sorted by index bucket, written in batches. Each batch
     * is a transaction of plain APPENDs, one per run of a bucket, watched over the chunk's loading bits
     * ({@code bulk_guard.lua}): Lua would cost Redis more than the writes themselves, interning every field and
     * number as a Lua string, and an APPEND, unlike an HSET, need not search the bucket first. A batch that a
     * replacement or erasure meanwhile has discarded goes again through {@code bulk_identifiers.lua}, which checks
     * entry by entry.
     */
    private Entries identifierEntries(int[] number) {
        // A counting sort that moves the entries themselves (field, number, family) into bucket order, so that the
        // arguments are then written from sequential memory rather than by jumping through the chunk.
        int bits = lines.buckets.bits();
        int[] next = new int[(BulkLines.TYPES.length << bits) + 1];
        int count = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (number[i] >= 0) {
                for (int k = lines.identifierStart(i); k < lines.identifierEnd(i); k++) {
                    next[lines.family(k * BulkLines.IDENTIFIER_BYTES, bits) + 1]++;
                    count++;
                }
            }
        }
        for (int f = 1; f < next.length; f++) {
            next[f] += next[f - 1];
        }
        Entries entries = new Entries(new byte[count * IndexEntryFormat.FIELD_BYTES], new int[count],
                new int[count]);
        for (int i = 0; i < lines.size(); i++) {
            if (number[i] >= 0) {
                for (int k = lines.identifierStart(i); k < lines.identifierEnd(i); k++) {
                    int at = k * BulkLines.IDENTIFIER_BYTES;
                    int f = lines.family(at, bits);
                    int to = next[f]++;
                    System.arraycopy(lines.identifiers, at + 3, entries.fields(), to * IndexEntryFormat.FIELD_BYTES,
                            IndexEntryFormat.FIELD_BYTES);
                    entries.owners()[to] = number[i];
                    entries.families()[to] = f;
                }
            }
        }
        return entries;
    }

    /** Every batch through the script, checked entry by entry (a connection that may not turn answers off). */
    private CompletableFuture<Void> sendByScript(StatefulRedisConnection<byte[], byte[]> connection, Links links) {
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (PackedArgs args : links.byScript()) {
            calls.add(identifiersByScript(r, args));
        }
        connection.flushCommands();
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]));
    }

    /**
     * Every batch as a guarded transaction of plain APPENDs ({@link #guardedBatch}), then the chunk's marks read back:
     * the batches a concurrent change discarded go again through the script.
     */
    private CompletableFuture<Void> sendQuietly(StatefulRedisConnection<byte[], byte[]> connection, Links links) {
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        List<CompletableFuture<String>> sent = new ArrayList<>();
        for (QuietCommands batch : links.guarded()) {
            sent.add(batch.send(connection));
        }
        CompletableFuture<byte[]> marked = r.get(links.marks()).toCompletableFuture();
        r.del(links.marks());
        connection.flushCommands();
        int batches = links.guarded().size();
        // On a worker, not on the event loop that reads Redis' answers (it serves HTTP too): a burst of discarded
        // batches costs a few hundred kilobytes of arguments each.
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).thenCombine(marked, (all, bits) -> bits)
                .thenComposeAsync(bits -> {
                    // Rare (a replacement or erasure of a subscriber this chunk is linking, or another load): the
                    // discarded batches again, each checked entry by entry.
                    List<CompletableFuture<?>> again = new ArrayList<>();
                    for (int batch = 0; batch < batches; batch++) {
                        boolean applied = mark(bits, 2 * batch + 1);
                        if (applied && !mark(bits, 2 * batch)) {
                            throw new IllegalStateException("an identifier batch was written without its check");
                        }
                        if (!applied) {
                            again.add(identifiersByScript(r,
                                    guardedIdentifierArgs(links.entries(), links.ranges(), batch)));
                        }
                    }
                    discardedBatches += again.size();
                    connection.flushCommands();
                    return CompletableFuture.allOf(again.toArray(new CompletableFuture<?>[0]));
                }, Infrastructure.getDefaultWorkerPool());
    }

    /** Bit {@code offset} of a bitmap as GET returns it (null: no bit set). */
    private static boolean mark(byte[] bits, int offset) {
        return bits != null && offset / 8 < bits.length && (bits[offset / 8] & (0x80 >>> (offset % 8))) != 0;
    }

    private static CompletableFuture<Long> identifiersByScript(RedisAsyncCommands<byte[], byte[]> r, PackedArgs args) {
        return IDENTIFIERS.run(r, () -> new IntegerOutput<>(ByteArrayCodec.INSTANCE), args).toCompletableFuture();
    }

    /** Marks keys name their chunk by a random token, so that loads running side by side never share one. */
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final byte[] WATCH = ascii("WATCH");
    private static final byte[] MULTI = ascii("MULTI");
    private static final byte[] APPEND = ascii("APPEND");
    private static final byte[] SETBIT = ascii("SETBIT");
    private static final byte[] ONE = ascii("1");
    private static final byte[] PEXPIRE = ascii("PEXPIRE");
    private static final byte[] EXEC = ascii("EXEC");
    /** A marks key outlives a load that dies half-way by an hour at most. */
    private static final long MARKS_TTL_MS = 3_600_000;

    /**
     * Identifier batch b as one guarded transaction of plain APPENDs, sent with Redis' answers off
     * ({@link QuietCommands}): WATCH, the guard, MULTI, the APPENDs (a run's 12-byte entries, field and number, in
     * one argument), the batch's applied mark, EXEC. What happened is
     * read back from the marks (bulk_guard.lua). One Lettuce command for the whole batch, which a reconnect would send
     * again whole, WATCH and guard included.
     */
    private QuietCommands guardedBatch(Entries entries, List<long[]> ranges, int batch, byte[] marks) {
        int from = batch * ENTRIES_PER_CALL;
        int to = Math.min(entries.owners().length, from + ENTRIES_PER_CALL);
        QuietCommands quiet = new QuietCommands((to - from) * 24 + 4096);
        quiet.command(3).add(WATCH).add(store.loadingKey()).add(store.bulkGuardKey());
        PackedArgs guard = GUARD.evalAmong(quiet, 3, 2 + 2 * ranges.size())
                .add(store.loadingKey()).add(store.bulkGuardKey()).add(marks).addDecimal(batch)
                .addDecimal(ranges.size());
        for (long[] range : ranges) {
            guard.addDecimal(range[0]).addDecimal(range[1]);
        }
        quiet.command(1).add(MULTI);
        for (int start = from; start < to; ) {
            int end = familyRunEnd(entries.families(), start, to);
            PackedArgs run = quiet.command(3).add(APPEND).add(entryKey(entries.families()[start]))
                    .begin((end - start) * IndexEntryFormat.ENTRY_BYTES);
            for (int e = start; e < end; e++) {
                IndexEntryFormat.put(run, entries.fields(), e * IndexEntryFormat.FIELD_BYTES, entries.owners()[e]);
            }
            run.end();
            start = end;
        }
        quiet.command(4).add(SETBIT).add(marks).addDecimal(2L * batch + 1).add(ONE);
        quiet.command(3).add(PEXPIRE).add(marks).addDecimal(MARKS_TTL_MS);
        quiet.command(1).add(EXEC);
        return quiet;
    }

    /** A chunk's new identifier entries in index-bucket order: field, subscriber number, family. */
    private record Entries(byte[] fields, int[] owners, int[] families) {
    }

    /** Identifier batches that a concurrent change sent through the entry-by-entry script (for tests). */
    private volatile int discardedBatches;

    int discardedBatches() {
        return discardedBatches;
    }

    /** bulk_identifiers.lua's arguments for batch b: the runs' index buckets in KEYS, each run naming its own. */
    private PackedArgs guardedIdentifierArgs(Entries entries, List<long[]> ranges, int batch) {
        int from = batch * ENTRIES_PER_CALL;
        int to = Math.min(entries.owners().length, from + ENTRIES_PER_CALL);
        List<byte[]> keys = new ArrayList<>();
        keys.add(store.loadingKey());
        for (int start = from; start < to; start = familyRunEnd(entries.families(), start, to)) {
            keys.add(entryKey(entries.families()[start]));
        }
        PackedArgs args = withKeysAndRanges(keys, ranges, (to - from) * 32);
        int key = 2;
        for (int start = from; start < to; key++) {
            int end = familyRunEnd(entries.families(), start, to);
            addPairs(args.addDecimal(key).addDecimal(end - start), entries, start, end);
            start = end;
        }
        return args;
    }

    /** Entries [start, end) as index field and subscriber number pairs. */
    private static PackedArgs addPairs(PackedArgs args, Entries entries, int start, int end) {
        for (int e = start; e < end; e++) {
            args.add(entries.fields(), e * IndexEntryFormat.FIELD_BYTES, IndexEntryFormat.FIELD_BYTES)
                    .addDecimal(entries.owners()[e]);
        }
        return args;
    }

    /** The end of the run of one family that starts at {@code start}, at most {@value BulkLines#MAX_RUN} long. */
    private static int familyRunEnd(int[] families, int start, int to) {
        int end = start + 1;
        while (end < to && end - start < BulkLines.MAX_RUN && families[end] == families[start]) {
            end++;
        }
        return end;
    }

    private byte[] entryKey(int family) {
        int bits = lines.buckets.bits();
        return store.indexKey(BulkLines.TYPES[family >>> bits], family & ((1 << bits) - 1));
    }

    /** Step 3's calls: the new members' household entries, in household-bucket order. */
    private List<PackedArgs> householdArgs(int[] number, List<long[]> ranges) {
        HouseholdGroups groups = householdGroups(number);
        List<PackedArgs> calls = new ArrayList<>();
        for (int from = 0; from < groups.count(); from += ENTRIES_PER_CALL) {
            int length = Math.min(groups.count(), from + ENTRIES_PER_CALL) - from;
            int[] positions = new int[length];
            for (int j = 0; j < length; j++) {
                positions[j] = from + j;
            }
            List<byte[]> keys = new ArrayList<>(List.of(store.loadingKey(), changes.seq(), changes.stream(),
                    changes.viewKey()));
            for (int start = 0; start < length; start = BulkLines.runEnd(positions, start, groups.bucketOf())) {
                keys.add(store.householdKey(groups.bucketOf()[positions[start]]));
            }
            PackedArgs args = withKeysAndRanges(keys, ranges, length * 48);
            int key = 5;
            for (int start = 0; start < length; key++) {
                int end = BulkLines.runEnd(positions, start, groups.bucketOf());
                args.addDecimal(key).addDecimal(end - start);
                householdRun(args, groups, number, positions, start, end);
                start = end;
            }
            calls.add(args);
        }
        return calls;
    }

    /**
     * New members grouped by household, in household-bucket order: group g's members are the lines
     * {@code (int) keyed[first[g]]} to {@code (int) keyed[first[g] + members[g] - 1]}.
     */
    private record HouseholdGroups(long[] keyed, int[] first, int[] members, int[] bucketOf, int count) {
    }

    private HouseholdGroups householdGroups(int[] number) {
        boolean[] member = new boolean[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            member[i] = number[i] >= 0 && lines.householdEnd(i) > lines.householdStart(i);
        }
        // Equal ids side by side.
        long[] keyed = lines.byBucketThenHash(lines.householdBuckets, lines.householdHash, member);
        int count = keyed.length;
        int[] first = new int[count];
        int[] members = new int[count];
        int groups = 0;
        for (int a = 0; a < count; ) {
            int b = a + 1;
            while (b < count && (keyed[b] >>> 32) == (keyed[a] >>> 32)) {
                b++;
            }
            if (b - a > 1) {
                lines.byId(keyed, a, b);
            }
            for (int g = a; g < b; ) {
                int h = g + 1;
                while (h < b && lines.sameHousehold((int) keyed[g], (int) keyed[h])) {
                    h++;
                }
                first[groups] = g;
                members[groups++] = h - g;
                g = h;
            }
            a = b;
        }
        int[] bucketOf = new int[groups];
        for (int g = 0; g < groups; g++) {
            bucketOf[g] = lines.householdBuckets.ofHash(lines.householdHash[(int) keyed[first[g]]]);
        }
        return new HouseholdGroups(keyed, first, members, bucketOf, groups);
    }

    /** Groups positions[start, end) of one household bucket: household id, then its new members' numbers. */
    private void householdRun(PackedArgs args, HouseholdGroups groups, int[] number, int[] positions, int start,
                              int end) {
        long[] keyed = groups.keyed();
        for (int j = start; j < end; j++) {
            int g = positions[j];
            int first = groups.first()[g];
            int members = groups.members()[g];
            int i = (int) keyed[first];
            args.add(lines.households, lines.householdStart(i), lines.householdEnd(i) - lines.householdStart(i));
            args.begin(4 * members);
            for (int m = first; m < first + members; m++) {
                args.putInt(number[(int) keyed[m]]);
            }
            args.end();
        }
    }

    /** A new argument list that starts with the prefix and the chunk's loading ranges (bulk_lib.lua). */
    /** A script call's packed arguments: its keys (KEYS), the chunk's loading ranges (bulk_lib.lua), then the rest. */
    private static PackedArgs withKeysAndRanges(List<byte[]> keys, List<long[]> ranges, int expectedBytes) {
        PackedArgs args = new PackedArgs(expectedBytes);
        for (byte[] key : keys) {
            args.add(key);
        }
        args.keys(keys.size()).addDecimal(ranges.size());
        for (long[] range : ranges) {
            args.addDecimal(range[0]).addDecimal(range[1]);
        }
        return args;
    }
}
