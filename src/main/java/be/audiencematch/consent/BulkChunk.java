package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.kernel.ProblemException;
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

    static final RedisScript RECORDS = RedisScript.load("bulk_records", "view_lib", "audit_lib", "index_lib",
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

    /**
     * The positions one step-1 call wrote, the number its first new subscriber was expected to get, the keys it named
     * besides the fixed ones, and its answer.
     */
    private record Slice(int[] positions, long expected, List<String> names, CompletableFuture<List<Object>> reply) {
    }

    /** Step 1's calls, encoded (bulk_records.lua's keys and arguments). */
    private final BulkRecordCalls calls;
    /**
     * Whether the record calls name, besides the {@code am:hhof} blocks, every index bucket the lines link to: once a
     * load mostly replaces subscribers (a feed sent again), so that a replacement does not take two calls
     * (bulk_records.lua asks for what it was not given); a first load names none, which it would not use.
     */
    private boolean nameLinks;
    /** Lines the record calls answered at their first call, and of those the replacements (flags '0' and '2'). */
    private int answeredLines;
    private int replacedLines;

    void nameLinks(boolean name) {
        this.nameLinks = name;
    }

    /** Whether this chunk's first record call is answered before the others go (the first chunk of a load). */
    private boolean probe;
    /** The first call's answers when it was a probe. */
    private List<Answer> probed;

    void probe(boolean first) {
        this.probe = first;
    }

    /** The number after the last one these answers created. */
    private static long nextAfter(List<Answer> answers) {
        Answer last = answers.get(answers.size() - 1);
        return last.base() + last.created();
    }

    /** Whether most lines answered so far replaced a subscriber (then the next chunk names its lines' buckets). */
    boolean mostlyReplacing() {
        return 2L * replacedLines > answeredLines;
    }

    BulkChunk(SubscriberStore store, int capacity, ChangeKeys changes) {
        super(store.buckets(), store.householdBuckets(), capacity);
        this.store = store;
        this.links = new BulkLinks(store, this, changes);
        this.calls = new BulkRecordCalls(store, this, changes);
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
        recordBuckets = bucketOf;
        guessedFirst = expected;
        sendRecordCalls(connection, order, bucketOf, expected);
    }

    /** The record calls, a slice of the bucket order each (a loop apart from the sorting: see BulkRecordCalls.args). */
    private void sendRecordCalls(StatefulRedisConnection<byte[], byte[]> connection, int[] order, int[] bucketOf,
                                 long expected) {
        RedisAsyncCommands<byte[], byte[]> r = connection.async();
        for (int from = 0; from < order.length; from += RECORDS_PER_CALL) {
            int[] positions = Arrays.copyOfRange(order, from, Math.min(order.length, from + RECORDS_PER_CALL));
            List<String> names = calls.names(positions, bucketOf, expected + from, nameLinks);
            slices.add(new Slice(positions, expected + from, names, RECORDS.run(r,
                    () -> new NestedMultiOutput<>(ByteArrayCodec.INSTANCE),
                    calls.args(positions, bucketOf, expected + from, names, nameLinks)).toCompletableFuture()));
            connection.flushCommands();
            if (probe && from == 0) {
                // The load's first call tells whether it replaces subscribers (a feed sent again): then every later
                // call names its lines' buckets, rather than each asking for them and going twice.
                probed = answered(connection, slices.get(0));
                nameLinks = mostlyReplacing();
                expected = nextAfter(probed) - RECORDS_PER_CALL;
            }
        }
    }

    /** The kept lines in the order their records went, and the number the first of them was expected to get. */
    private int[] recordOrder;
    /** Each line's record bucket (-1: superseded by a later line), for a record call sent again. */
    private int[] recordBuckets;
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

    /** Line p's record without its number (SubscriberRecordFormat; the single upsert uses it too). */
    byte[] recordTail(int p) {
        byte[] tail = new byte[SubscriberRecordFormat.MAX_TAIL_BYTES];
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
            List<Answer> answers = probed != null && slice == slices.get(0) ? probed : answered(connection, slice);
            for (Answer answer : answers) {
                long base = answer.base();
                byte[] flags = answer.flags();
                int created = 0;
                for (int j = 0; j < flags.length; j++) {
                    if (flags[j] == '1') {
                        number[answer.positions()[j]] = (int) (base + created++);
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

    /**
     * How many times a record call goes again for keys it was not given (each time for the lines whose subscriber
     * changed meanwhile), before the load fails with 503.
     */
    private static final int RECORD_CALL_ATTEMPTS = 8;

    /** What one record call wrote: its positions, its first new number, and a flag a position ('1' created). */
    private record Answer(int[] positions, long base, byte[] flags) {
        /** How many subscribers the call created (numbered from base on, in position order). */
        int created() {
            int created = 0;
            for (byte flag : flags) {
                created += flag == '1' ? 1 : 0;
            }
            return created;
        }
    }

    /**
     * A record call's answers. A call that asked for keys it was not given (bulk_records.lua: a replaced subscriber's
     * old buckets) goes again with them: whole when it wrote nothing, else for the lines it left waiting (flag '2'),
     * before any later call of the load, so lines still apply in order. Each call that wrote is one answer.
     */
    private List<Answer> answered(StatefulRedisConnection<byte[], byte[]> connection, Slice slice) {
        List<Object> reply = RedisConnections.awaitOnWorker(slice.reply());
        List<String> names = new ArrayList<>(slice.names());
        int[] positions = slice.positions();
        List<Answer> answers = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            boolean wroteNothing = !(reply.get(0) instanceof Long);
            if (!wroteNothing) {
                byte[] flags = (byte[]) reply.get(1);
                if (answers.isEmpty()) {
                    count(flags);
                }
                answers.add(new Answer(positions, (Long) reply.get(0), flags));
                positions = waiting(positions, flags);
                if (positions.length == 0) {
                    return answers;
                }
            }
            if (attempt >= RECORD_CALL_ATTEMPTS) {
                throw new ProblemException(503, "Service Unavailable",
                        "the subscribers of this load kept changing while it ran; send it again");
            }
            for (Object name : reply.subList(wroteNothing ? 1 : 2, reply.size())) {
                names.add(new String((byte[]) name, StandardCharsets.UTF_8));
            }
            CompletableFuture<List<Object>> again = RECORDS.run(connection.async(),
                    () -> new NestedMultiOutput<>(ByteArrayCodec.INSTANCE),
                    calls.args(positions, recordBuckets, slice.expected(), names, nameLinks)).toCompletableFuture();
            connection.flushCommands();
            reply = RedisConnections.awaitOnWorker(again);
        }
    }

    private void count(byte[] flags) {
        answeredLines += flags.length;
        for (byte flag : flags) {
            replacedLines += flag == '1' ? 0 : 1;
        }
    }

    /** The positions whose flag says their line waits for keys ('2'). */
    private static int[] waiting(int[] positions, byte[] flags) {
        int count = 0;
        for (byte flag : flags) {
            count += flag == '2' ? 1 : 0;
        }
        int[] waiting = new int[count];
        int j = 0;
        for (int k = 0; k < flags.length; k++) {
            if (flags[k] == '2') {
                waiting[j++] = positions[k];
            }
        }
        return waiting;
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
