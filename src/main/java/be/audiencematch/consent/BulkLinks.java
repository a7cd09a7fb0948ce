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
    static final RedisScript LOADED = RedisScript.load("bulk_loaded", "bulk_lib");
    /** Entries per step-2/3 call: a few milliseconds of Redis each. */
    private static final int ENTRIES_PER_CALL = 4096;

    private final SubscriberStore store;
    private final BulkLines lines;
    private final BulkHouseholds households;
    /** The index families (type, then bucket) the links sent appended to; none before or without links. */
    private int[] appendedFamilies = new int[0];

    /** The change stream the household step appends to (bulk_households.lua notes the households it changed). */
    private final ChangeKeys changes;

    BulkLinks(SubscriberStore store, BulkLines lines, ChangeKeys changes) {
        this.store = store;
        this.lines = lines;
        this.changes = changes;
        this.households = new BulkHouseholds(store, lines);
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
    Entries identifierEntries(int[] number) {
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
    record Entries(byte[] fields, int[] owners, int[] families) {
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
        BulkHouseholds.Groups groups = households.groups(number);
        List<byte[]> leading = List.of(store.loadingKey(), changes.seq(), changes.stream(), changes.viewKey());
        List<PackedArgs> calls = new ArrayList<>();
        for (int from = 0; from < groups.count(); from += ENTRIES_PER_CALL) {
            int length = Math.min(groups.count(), from + ENTRIES_PER_CALL) - from;
            int[] positions = new int[length];
            for (int j = 0; j < length; j++) {
                positions[j] = from + j;
            }
            calls.add(households.call(groups, number, positions, leading, ranges));
        }
        return calls;
    }

    /** A script call's packed arguments: its keys (KEYS), the chunk's loading ranges (bulk_lib.lua), then the rest. */
    static PackedArgs withKeysAndRanges(List<byte[]> keys, List<long[]> ranges, int expectedBytes) {
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
