package be.audiencematch.consent;

import be.audiencematch.redis.PackedArgs;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.NestedMultiOutput;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk of a bulk load, written in two passes so that each Redis bucket is touched once per chunk rather than
 * once per subscriber: first the records, sorted by record bucket ({@code bulk_records.lua}); then, once the new
 * subscribers have numbers, their identifier entries sorted by index bucket (plain APPENDs in guarded transactions)
 * and their household entries sorted by household bucket, and finally the chunk's "loading" bits are cleared.
 * Redis does a run of one bucket in one command, which is what makes a load several times faster than one script
 * step per subscriber.
 * <p>
 * Between the passes a new subscriber exists with its consents but cannot yet be matched. A replacement or erasure
 * meanwhile (another request) clears its loading bit, and the second pass then leaves its entries out, so nothing
 * stale is written (bulk_lib.lua). When an id comes more than once, only its last line is written, which is what
 * applying the lines in order would leave.
 * <p>
 * Subscribers are held in flat arrays ({@link BulkLines}), and arguments go out in wire format ({@link PackedArgs}).
 * This class writes the records (step 1) and hands the links to {@link BulkLinks}. Used on one worker thread.
 */
final class BulkChunk extends BulkLines {

    private static final RedisScript RECORDS = RedisScript.load("bulk_records", "view_lib", "audit_lib", "index_lib",
            "record_lib", "consent_lib", "subscriber_lib", "bulk_lib");

    /** Loads the bulk scripts on the load's connection first, so that its pipelined calls never meet NOSCRIPT. */
    static void preloadScripts(StatefulRedisConnection<byte[], byte[]> connection) {
        RedisScript.preload(connection, RECORDS, BulkLinks.IDENTIFIERS, BulkLinks.HOUSEHOLDS, BulkLinks.LOADED);
    }

    /** Subscribers per step-1 call: a few milliseconds of Redis each. */
    private static final int RECORDS_PER_CALL = 2048;

    private final SubscriberStore store;
    private final BulkLinks links;
    private final List<Slice> slices = new ArrayList<>();

    /** The positions one step-1 call wrote, and its answer. */
    private record Slice(int[] positions, CompletableFuture<List<Object>> reply) {
    }

    BulkChunk(SubscriberStore store, int capacity) {
        super(store.buckets(), store.householdBuckets(), capacity);
        this.store = store;
        this.links = new BulkLinks(store, this);
    }

    /**
     * Step 1: sends the record calls, each as soon as it is made. Each record goes with the number it gets if every
     * subscriber is new and nobody else creates one meanwhile (the usual case), so that Redis can write it as it comes;
     * bulk_records.lua checks, and numbers them itself when the guess is wrong.
     */
    void writeRecords(StatefulRedisConnection<byte[], byte[]> connection) {
        writeRecords(connection, -1);
    }

    /**
     * The subscriber number after this chunk's last record call, once {@link #writeLinks} has read their answers:
     * the next chunk's guess, without a round trip that would wait behind this chunk's links. -1 before.
     */
    long nextNumber() {
        return nextNumber;
    }

    private long nextNumber = -1;

    /**
     * Step 1 with the caller's guess of the next subscriber number (the previous chunk's {@link #nextNumber()}; tests
     * give wrong ones), or -1 to read it from Redis first.
     */
    void writeRecords(StatefulRedisConnection<byte[], byte[]> connection, long guess) {
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        long expected = guess;
        if (expected < 0) {
            CompletableFuture<byte[]> current = r.get(store.seqKey()).toCompletableFuture();
            connection.flushCommands();
            byte[] seq = RedisConnections.awaitOnWorker(current);
            expected = seq == null ? 0 : Long.parseLong(new String(seq, StandardCharsets.US_ASCII));
        }
        boolean[] superseded = superseded();
        int[] bucketOf = new int[size()];
        int kept = 0;
        for (int i = 0; i < size(); i++) {
            if (superseded[i]) {
                bucketOf[i] = -1;
            } else {
                bucketOf[i] = buckets.ofHash(idHash[i]);
                kept++;
            }
        }
        int[] order = sortedBy(bucketOf, 1 << buckets.bits(), kept);
        recordOrder = order;
        guessedFirst = expected;
        sendRecordCalls(connection, order, bucketOf, expected);
    }

    /** The record calls, a slice of the bucket order each (a loop apart from the sorting: see recordArgs). */
    private void sendRecordCalls(StatefulRedisConnection<byte[], byte[]> connection, int[] order, int[] bucketOf,
                                 long expected) {
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        for (int from = 0; from < order.length; from += RECORDS_PER_CALL) {
            int[] positions = Arrays.copyOfRange(order, from, Math.min(order.length, from + RECORDS_PER_CALL));
            slices.add(new Slice(positions, RECORDS.run(r, () -> new NestedMultiOutput<>(ByteArrayCodec.INSTANCE),
                    recordArgs(positions, bucketOf, expected + from)).toCompletableFuture()));
            connection.flushCommands();
        }
    }

    /** The kept lines in the order their records went, and the number the first of them was expected to get. */
    private int[] recordOrder;
    private long guessedFirst = -1;
    /** Steps 2 to 4 built ahead for the numbers the records were expected to get; null when not built. */
    private BulkLinks.Links prepared;

    /**
     * Builds steps 2 to 4 for the numbers the records were sent with (call after {@link #writeRecords}), while Redis
     * writes them: when its answers confirm those numbers (the usual case) the links go the moment they come, rather
     * than after the sorting and encoding, which at the end of a load is time Redis would wait for (writeLinks).
     */
    void prepareLinks(boolean quiet) {
        if (recordOrder == null || recordOrder.length == 0) {
            return;
        }
        int[] guessed = new int[size()];
        Arrays.fill(guessed, -1);
        for (int j = 0; j < recordOrder.length; j++) {
            guessed[recordOrder[j]] = (int) (guessedFirst + j);
        }
        List<long[]> ranges = new ArrayList<>();
        ranges.add(new long[] {guessedFirst, recordOrder.length});
        prepared = links.build(guessed, ranges, quiet);
    }

    /** bulk_records.lua's arguments for these positions (in bucket order). */
    private PackedArgs recordArgs(int[] positions, int[] bucketOf, long firstNumber) {
        int n = positions.length;
        PackedArgs args = new PackedArgs(n * 96);
        args.add(store.prefixBytes()).addDecimal(n);
        masks(args, positions);
        tags(args, positions);
        for (int bit = 1; bit <= 4; bit <<= 1) {
            consentWords(args, positions, bit);
        }
        args.addDecimal(firstNumber);
        // Loops in methods of their own, each small: one long method with all of them inlined cost the compiler
        // more than the load it sped up (four C2 compilations of ~0.2 s each, most of them on-stack replacements).
        for (int start = 0; start < n; ) {
            int end = runEnd(positions, start, bucketOf);
            args.add(store.recordKey(bucketOf[positions[start]])).addDecimal(end - start);
            recordRun(args, positions, start, end, firstNumber);
            start = end;
        }
        return args;
    }

    private void masks(PackedArgs args, int[] positions) {
        args.begin(positions.length);
        for (int p : positions) {
            args.put((byte) ('0' + consents[p]));
        }
        args.end();
    }

    private void tags(PackedArgs args, int[] positions) {
        args.begin(4 * positions.length);
        for (int p : positions) {
            args.putInt(householdTag(p));
        }
        args.end();
    }

    /** Positions [start, end) of one record bucket: id, then record. */
    private void recordRun(PackedArgs args, int[] positions, int start, int end, long firstNumber) {
        for (int j = start; j < end; j++) {
            int p = positions[j];
            args.add(ids, idStart(p), idEnd(p) - idStart(p));
            writeRecord(args, p, firstNumber + j);
        }
    }

    /** One consent's bits for the positions in order, as u32 words (the last one as wide as what is left). */
    private void consentWords(PackedArgs args, int[] positions, int bit) {
        int words = (positions.length + 31) / 32;
        args.begin(4 * words);
        for (int w = 0; w < words; w++) {
            int value = 0;
            int width = Math.min(32, positions.length - 32 * w);
            for (int j = 0; j < width; j++) {
                value = (value << 1) | ((consents[positions[32 * w + j]] & bit) != 0 ? 1 : 0);
            }
            args.putInt(value);
        }
        args.end();
    }

    /** Room for the largest record tail (SubscriberRecordFormat), reused for every line. */
    private final byte[] tail = new byte[SubscriberRecordFormat.MAX_TAIL_BYTES];

    /** Line p's record with the given number (SubscriberRecordFormat: u32, then the tail). */
    private void writeRecord(PackedArgs args, int p, long number) {
        int length = tailInto(p, tail);
        args.begin(SubscriberRecordFormat.NUMBER_BYTES + length).putInt((int) number).put(tail, 0, length).end();
    }

    /** Line p's record without its number (SubscriberRecordFormat; the single upsert uses it too). */
    byte[] recordTail(int p) {
        return Arrays.copyOf(tail, tailInto(p, tail));
    }

    /** Whether Redis has answered every record call (step 1), so that the links can go without waiting. */
    boolean recordsWritten() {
        for (Slice slice : slices) {
            if (!slice.reply().isDone()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Steps 2 to 4, once step 1 has answered (waits for it: call on a worker thread): sends the identifier,
     * household and clean-up calls (those {@link #prepareLinks} built, when Redis gave the guessed numbers) and
     * returns when Redis has run them all.
     */
    CompletableFuture<Void> writeLinks(StatefulRedisConnection<byte[], byte[]> connection) {
        return writeLinks(connection, true);
    }

    /** The same, with the identifier batches sent quietly or, where CLIENT REPLY is refused, through the script. */
    CompletableFuture<Void> writeLinks(StatefulRedisConnection<byte[], byte[]> connection, boolean quiet) {
        int[] number = new int[size()];
        Arrays.fill(number, -1);
        List<long[]> ranges = new ArrayList<>();
        for (Slice slice : slices) {
            List<Object> reply = RedisConnections.awaitOnWorker(slice.reply());
            long base = (Long) reply.get(0);
            byte[] flags = (byte[]) reply.get(1);
            int created = 0;
            for (int j = 0; j < flags.length; j++) {
                if (flags[j] == '1') {
                    number[slice.positions()[j]] = (int) (base + created++);
                }
            }
            nextNumber = base + created;
            if (created > 0) {
                long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
                if (last != null && last[0] + last[1] == base) {
                    last[1] += created;
                } else {
                    ranges.add(new long[] {base, created});
                }
            }
        }
        BulkLinks.Links built = prepared;
        prepared = null;
        if (ranges.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        // Equal numbers mean equal ranges: one run from the first guessed number.
        if (built == null || built.quiet() != quiet || !Arrays.equals(built.number(), number)) {
            built = links.build(number, ranges, quiet);
            rebuiltLinks++;
        }
        return links.send(connection, built);
    }

    /** Adds the index families (type, then bucket) this chunk's links appended to. */
    void appendedFamilies(BitSet into) {
        links.appendedFamilies(into);
    }

    /** Identifier batches that a concurrent change sent through the entry-by-entry script (for tests). */
    int discardedBatches() {
        return links.discardedBatches();
    }

    /** How often the links were built again because Redis' numbers were not the guessed ones (for tests). */
    private int rebuiltLinks;

    int rebuiltLinks() {
        return rebuiltLinks;
    }
}
