package be.audiencematch.consent;

import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.Buckets;
import be.audiencematch.redis.PackedArgs;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.QuietCommands;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
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
 * Subscribers are held in flat arrays, not objects, and arguments go out in wire format ({@link PackedArgs}): a
 * chunk lives for a second or so, and a few big arrays cost the garbage collector nothing, millions of small objects
 * a lot. Used on one worker thread.
 */
final class BulkChunk {

    private static final RedisScript RECORDS =
            RedisScript.load("bulk_records", "view_lib", "audit_lib", "index_lib", "record_lib", "subscriber_lib", "bulk_lib");
    private static final RedisScript IDENTIFIERS =
            RedisScript.load("bulk_identifiers", "view_lib", "audit_lib", "index_lib", "record_lib", "subscriber_lib", "bulk_lib");
    private static final RedisScript HOUSEHOLDS =
            RedisScript.load("bulk_households", "view_lib", "audit_lib", "index_lib", "record_lib", "subscriber_lib", "bulk_lib");
    private static final RedisScript GUARD = RedisScript.load("bulk_guard", "bulk_prelude", "bulk_lib");
    private static final RedisScript LOADED =
            RedisScript.load("bulk_loaded", "view_lib", "audit_lib", "index_lib", "record_lib", "subscriber_lib", "bulk_lib");

    /** Loads the bulk scripts on the load's connection first, so that its pipelined calls never meet NOSCRIPT. */
    static void preloadScripts(StatefulRedisConnection<byte[], byte[]> connection) {
        RedisScript.preload(connection, RECORDS, IDENTIFIERS, HOUSEHOLDS, LOADED);
    }

    /** Subscribers per step-1 call and entries per step-2/3 call: a few milliseconds of Redis each. */
    private static final int RECORDS_PER_CALL = 2048;
    private static final int ENTRIES_PER_CALL = 4096;
    /** Lua's unpack() takes about 8,000 values; a run of one bucket is split well before. */
    private static final int MAX_RUN = 1000;
    /** Per identifier: type ordinal, then digest bytes 0..9 (bucket bits, then the index field). */
    private static final int IDENTIFIER_BYTES = 1 + 2 + IndexEntryFormat.FIELD_BYTES;
    private static final IdentifierType[] TYPES = IdentifierType.values();

    private final SubscriberStore store;
    private final Buckets buckets;
    private final Buckets householdBuckets;
    private final int capacity;
    private int size;

    // Grown as lines come, up to the capacity, so a five-line load costs five lines of memory. Line i's bytes are
    // [offset[i], offset[i + 1]): no first-line special case for the JIT to trip over.
    private byte[] ids;
    private int[] idOffset;
    private byte[] households;
    private int[] householdOffset;
    private byte[] identifiers;
    private int[] identifierOffset;
    private byte[] consents;
    /** FNV-1a of each id and household id, computed once: buckets, tags and grouping all start from it. */
    private int[] idHash;
    private int[] householdHash;

    private final List<Slice> slices = new ArrayList<>();
    /** The index families (type, then bucket) the links sent appended to; none before or without links. */
    private int[] appendedFamilies = new int[0];

    /** The positions one step-1 call wrote, and its answer. */
    private record Slice(int[] positions, CompletableFuture<List<Object>> reply) {
    }

    BulkChunk(SubscriberStore store, int capacity) {
        this.store = store;
        this.buckets = store.buckets();
        this.householdBuckets = store.householdBuckets();
        this.capacity = capacity;
        int lines = Math.min(capacity, 1024);
        this.ids = new byte[lines * 16];
        this.idOffset = new int[lines + 1];
        this.households = new byte[lines * 12];
        this.householdOffset = new int[lines + 1];
        this.identifiers = new byte[lines * 2 * IDENTIFIER_BYTES];
        this.identifierOffset = new int[lines + 1];
        this.consents = new byte[lines];
        this.idHash = new int[lines];
        this.householdHash = new int[lines];
    }

    boolean isFull() {
        return size == capacity;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Copies a checked subscriber in (its id and household id are ASCII: see SubscriberValidation). */
    void add(Subscriber s) {
        beginLine();
        byte[] id = ascii(s.id());
        lineId(id, 0, id.length);
        if (s.householdId() != null) {
            byte[] household = ascii(s.householdId());
            lineHousehold(household, 0, household.length);
        }
        for (HashedIdentifier identifier : s.identifiers()) {
            lineIdentifier(identifier.type(), identifier.digest());
        }
        Consents c = s.consents();
        commitLine((c.tv() ? 1 : 0) | (c.web() ? 2 : 0) | (c.adsAndData() ? 4 : 0));
    }

    private static byte[] ascii(String value) {
        byte[] bytes = new byte[value.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) value.charAt(i);
        }
        return bytes;
    }

    // A line is written in place past the last one and counts only once committed, so a line that turns out
    // bad half-way leaves nothing behind (BulkLineParser).
    private int stagedIdLength;
    private int stagedHouseholdLength;
    private int stagedIdentifiers;

    void beginLine() {
        if (size == consents.length) {
            int lines = Math.min(capacity, 2 * size);
            idOffset = Arrays.copyOf(idOffset, lines + 1);
            householdOffset = Arrays.copyOf(householdOffset, lines + 1);
            identifierOffset = Arrays.copyOf(identifierOffset, lines + 1);
            consents = Arrays.copyOf(consents, lines);
            idHash = Arrays.copyOf(idHash, lines);
            householdHash = Arrays.copyOf(householdHash, lines);
        }
        stagedIdLength = 0;
        stagedHouseholdLength = 0;
        stagedIdentifiers = 0;
    }

    void lineId(byte[] from, int offset, int length) {
        int at = idStart(size);
        ids = ensure(ids, at + length);
        System.arraycopy(from, offset, ids, at, length);
        stagedIdLength = length;
    }

    void lineHousehold(byte[] from, int offset, int length) {
        int at = householdStart(size);
        households = ensure(households, at + length);
        System.arraycopy(from, offset, households, at, length);
        stagedHouseholdLength = length;
    }

    void lineIdentifier(IdentifierType type, byte[] digest) {
        int at = (identifierStart(size) + stagedIdentifiers++) * IDENTIFIER_BYTES;
        identifiers = ensure(identifiers, at + IDENTIFIER_BYTES);
        identifiers[at] = (byte) type.ordinal();
        System.arraycopy(digest, 0, identifiers, at + 1, IDENTIFIER_BYTES - 1);
    }

    /** Counts the staged line, with its consents (1 tv, 2 web, 4 ads_and_data). */
    void commitLine(int consentMask) {
        int i = size++;
        idOffset[i + 1] = idStart(i) + stagedIdLength;
        householdOffset[i + 1] = householdStart(i) + stagedHouseholdLength;
        identifierOffset[i + 1] = identifierStart(i) + stagedIdentifiers;
        consents[i] = (byte) consentMask;
        idHash[i] = Buckets.fnv1a(ids, idStart(i), stagedIdLength);
        householdHash[i] = Buckets.fnv1a(households, householdStart(i), stagedHouseholdLength);
    }

    int size() {
        return size;
    }

    /** Whether line i here and line j of {@code other} hold the same subscriber (for tests of the two readers). */
    boolean sameLine(int i, BulkChunk other, int j) {
        return Arrays.equals(ids, idStart(i), idEnd(i), other.ids, other.idStart(j), other.idEnd(j))
                && Arrays.equals(households, householdStart(i), householdEnd(i),
                        other.households, other.householdStart(j), other.householdEnd(j))
                && Arrays.equals(identifiers, identifierStart(i) * IDENTIFIER_BYTES, identifierEnd(i) * IDENTIFIER_BYTES,
                        other.identifiers, other.identifierStart(j) * IDENTIFIER_BYTES, other.identifierEnd(j) * IDENTIFIER_BYTES)
                && consents[i] == other.consents[j] && idHash[i] == other.idHash[j]
                && householdHash[i] == other.householdHash[j];
    }

    private static byte[] ensure(byte[] array, int needed) {
        return needed <= array.length ? array : Arrays.copyOf(array, Math.max(needed, array.length * 2));
    }

    private int idStart(int i) {
        return idOffset[i];
    }

    private int idEnd(int i) {
        return idOffset[i + 1];
    }

    private int householdStart(int i) {
        return householdOffset[i];
    }

    private int householdEnd(int i) {
        return householdOffset[i + 1];
    }

    private int identifierStart(int i) {
        return identifierOffset[i];
    }

    private int identifierEnd(int i) {
        return identifierOffset[i + 1];
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
        int[] bucketOf = new int[size];
        int kept = 0;
        for (int i = 0; i < size; i++) {
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
    private Links prepared;

    /**
     * Builds steps 2 to 4 for the numbers the records were sent with (call after {@link #writeRecords}), while Redis
     * writes them: when its answers confirm those numbers (the usual case) the links go the moment they come, rather
     * than after the sorting and encoding, which at the end of a load is time Redis would wait for (writeLinks).
     */
    void prepareLinks(boolean quiet) {
        if (recordOrder == null || recordOrder.length == 0) {
            return;
        }
        int[] guessed = new int[size];
        Arrays.fill(guessed, -1);
        for (int j = 0; j < recordOrder.length; j++) {
            guessed[recordOrder[j]] = (int) (guessedFirst + j);
        }
        List<long[]> ranges = new ArrayList<>();
        ranges.add(new long[] {guessedFirst, recordOrder.length});
        prepared = buildLinks(guessed, ranges, quiet);
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
        int length = tailInto(p);
        args.begin(SubscriberRecordFormat.NUMBER_BYTES + length).putInt((int) number).put(tail, 0, length).end();
    }

    /** Line p's record without its number (SubscriberRecordFormat; the single upsert uses it too). */
    byte[] recordTail(int p) {
        return Arrays.copyOf(tail, tailInto(p));
    }

    /** Writes line p's record tail into {@link #tail}; its length. */
    private int tailInto(int p) {
        int hhFrom = householdStart(p);
        int hhLength = householdEnd(p) - hhFrom;
        int bucket = hhLength == 0 ? 0 : householdBuckets.ofHash(householdHash[p]);
        int idFrom = identifierStart(p);
        int at = SubscriberRecordFormat.head(tail, bucket, households, hhFrom, hhLength, identifierEnd(p) - idFrom,
                buckets.extraBits());
        for (int k = idFrom; k < identifierEnd(p); k++) {
            int from = k * IDENTIFIER_BYTES;
            at = SubscriberRecordFormat.identifier(tail, at, TYPES[identifiers[from]].code(),
                    buckets.stored(digestBucket(from)), identifiers, from + 3);
        }
        return at;
    }

    private int digestBucket(int at) {
        return buckets.ofDigest(identifiers[at + 1], identifiers[at + 2], identifiers[at + 3]);
    }

    /** The household tag (SubscriberStore.householdTag), 0 without a household. */
    private int householdTag(int p) {
        int from = householdStart(p);
        if (householdEnd(p) == from) {
            return 0;
        }
        return SubscriberStore.householdTag(householdHash[p]);
    }

    /** Marks every line whose subscriber id comes again later in the chunk. */
    private boolean[] superseded() {
        long[] keyed = byBucketThenHash(buckets, idHash, null);
        boolean[] superseded = new boolean[size];
        for (int a = 0; a < size; a++) {
            int i = (int) keyed[a];
            for (int b = a + 1; b < size && (keyed[b] >>> 32) == (keyed[a] >>> 32); b++) {
                int j = (int) keyed[b];
                if (Arrays.equals(ids, idStart(i), idEnd(i), ids, idStart(j), idEnd(j))) {
                    superseded[i] = true;
                    break;
                }
            }
        }
        return superseded;
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
        int[] number = new int[size];
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
        Links links = prepared;
        prepared = null;
        if (ranges.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        // Equal numbers mean equal ranges: one run from the first guessed number.
        if (links == null || links.quiet() != quiet || !Arrays.equals(links.number(), number)) {
            links = buildLinks(number, ranges, quiet);
            rebuiltLinks++;
        }
        return send(connection, links);
    }

    /**
     * Steps 2 to 4 for these numbers, built and not yet sent: the identifier batches (quiet transactions or script
     * calls), the household calls, and what a discarded batch needs to go again.
     */
    private record Links(int[] number, List<long[]> ranges, boolean quiet, Entries entries, byte[] marks,
                         List<QuietCommands> guarded, List<PackedArgs> byScript, List<PackedArgs> households) {
    }

    private Links buildLinks(int[] number, List<long[]> ranges, boolean quiet) {
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

    private CompletableFuture<Void> send(StatefulRedisConnection<byte[], byte[]> connection, Links links) {
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
                    withRanges(links.ranges(), 64)).toCompletableFuture();
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
        int bits = buckets.bits();
        int[] next = new int[(TYPES.length << bits) + 1];
        int count = 0;
        for (int i = 0; i < size; i++) {
            if (number[i] >= 0) {
                for (int k = identifierStart(i); k < identifierEnd(i); k++) {
                    next[family(k * IDENTIFIER_BYTES, bits) + 1]++;
                    count++;
                }
            }
        }
        for (int f = 1; f < next.length; f++) {
            next[f] += next[f - 1];
        }
        Entries entries = new Entries(new byte[count * IndexEntryFormat.FIELD_BYTES], new int[count],
                new int[count]);
        for (int i = 0; i < size; i++) {
            if (number[i] >= 0) {
                for (int k = identifierStart(i); k < identifierEnd(i); k++) {
                    int at = k * IDENTIFIER_BYTES;
                    int f = family(at, bits);
                    int to = next[f]++;
                    System.arraycopy(identifiers, at + 3, entries.fields(), to * IndexEntryFormat.FIELD_BYTES,
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
        PackedArgs guard = GUARD.evalAmong(quiet, 4 + 2 * ranges.size())
                .add(store.prefixBytes()).add(marks).addDecimal(batch).addDecimal(ranges.size());
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

    /** How often the links were built again because Redis' numbers were not the guessed ones (for tests). */
    private int rebuiltLinks;

    int rebuiltLinks() {
        return rebuiltLinks;
    }

    /** bulk_identifiers.lua's arguments for batch b. */
    private PackedArgs guardedIdentifierArgs(Entries entries, List<long[]> ranges, int batch) {
        int from = batch * ENTRIES_PER_CALL;
        int to = Math.min(entries.owners().length, from + ENTRIES_PER_CALL);
        PackedArgs args = withRanges(ranges, (to - from) * 32);
        for (int start = from; start < to; ) {
            int end = familyRunEnd(entries.families(), start, to);
            addPairs(args.add(entryKey(entries.families()[start])).addDecimal(end - start), entries, start, end);
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

    /** The end of the run of one family that starts at {@code start}, at most {@value #MAX_RUN} long. */
    private static int familyRunEnd(int[] families, int start, int to) {
        int end = start + 1;
        while (end < to && end - start < MAX_RUN && families[end] == families[start]) {
            end++;
        }
        return end;
    }

    private byte[] entryKey(int family) {
        int bits = buckets.bits();
        return store.indexKey(TYPES[family >>> bits], family & ((1 << bits) - 1));
    }

    /** An identifier's index family: its type, then its index bucket. */
    private int family(int at, int bits) {
        return (identifiers[at] << bits) | digestBucket(at);
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
            PackedArgs args = withRanges(ranges, length * 48);
            for (int start = 0; start < length; ) {
                int end = runEnd(positions, start, groups.bucketOf());
                args.add(store.householdKey(groups.bucketOf()[positions[start]])).addDecimal(end - start);
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
        boolean[] member = new boolean[size];
        for (int i = 0; i < size; i++) {
            member[i] = number[i] >= 0 && householdEnd(i) > householdStart(i);
        }
        // Equal ids side by side.
        long[] keyed = byBucketThenHash(householdBuckets, householdHash, member);
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
                byId(keyed, a, b);
            }
            for (int g = a; g < b; ) {
                int h = g + 1;
                while (h < b && sameHousehold((int) keyed[g], (int) keyed[h])) {
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
            bucketOf[g] = householdBuckets.ofHash(householdHash[(int) keyed[first[g]]]);
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
            args.add(households, householdStart(i), householdEnd(i) - householdStart(i));
            args.begin(4 * members);
            for (int m = first; m < first + members; m++) {
                args.putInt(number[(int) keyed[m]]);
            }
            args.end();
        }
    }

    /**
     * The lines taken (all when {@code take} is null) as keys {@code hash << 32 | line}, placed by the bucket of their
     * hash (a counting sort) and sorted within each bucket, so that equal hashes come side by side: a bucket holds a
     * few dozen lines, and sorting those is a fraction of sorting the whole chunk.
     */
    private long[] byBucketThenHash(Buckets by, int[] hashes, boolean[] take) {
        int[] bucketOf = new int[size];
        int count = 0;
        for (int i = 0; i < size; i++) {
            boolean taken = take == null || take[i];
            bucketOf[i] = taken ? by.ofHash(hashes[i]) : -1;
            count += taken ? 1 : 0;
        }
        int[] order = sortedBy(bucketOf, 1 << by.bits(), count);
        long[] keyed = new long[count];
        for (int j = 0; j < count; j++) {
            keyed[j] = ((long) hashes[order[j]] << 32) | order[j];
        }
        for (int from = 0; from < count; ) {
            int to = from + 1;
            while (to < count && bucketOf[order[to]] == bucketOf[order[from]]) {
                to++;
            }
            if (to - from > 1) {
                Arrays.sort(keyed, from, to);
            }
            from = to;
        }
        return keyed;
    }

    /**
     * Orders lines whose household ids share a hash by id, then by line (an insertion sort: such a block is one
     * household's few new members, or two households when their hashes collide).
     */
    private void byId(long[] keyed, int from, int to) {
        for (int a = from + 1; a < to; a++) {
            long x = keyed[a];
            int b = a - 1;
            while (b >= from && compareHouseholds((int) keyed[b], (int) x) > 0) {
                keyed[b + 1] = keyed[b];
                b--;
            }
            keyed[b + 1] = x;
        }
    }

    private int compareHouseholds(int i, int j) {
        int c = Arrays.compare(households, householdStart(i), householdEnd(i), households, householdStart(j), householdEnd(j));
        return c != 0 ? c : Integer.compare(i, j);
    }

    private boolean sameHousehold(int i, int j) {
        return Arrays.equals(households, householdStart(i), householdEnd(i), households, householdStart(j), householdEnd(j));
    }

    /** A new argument list that starts with the prefix and the chunk's loading ranges (bulk_lib.lua). */
    private PackedArgs withRanges(List<long[]> ranges, int expectedBytes) {
        PackedArgs args = new PackedArgs(expectedBytes);
        args.add(store.prefixBytes()).addDecimal(ranges.size());
        for (long[] range : ranges) {
            args.addDecimal(range[0]).addDecimal(range[1]);
        }
        return args;
    }

    /** The end of the run of equal keys that starts at {@code start}, at most {@value #MAX_RUN} long. */
    private static int runEnd(int[] positions, int start, int[] key) {
        int k = key[positions[start]];
        int end = start + 1;
        while (end < positions.length && end - start < MAX_RUN && key[positions[end]] == k) {
            end++;
        }
        return end;
    }

    /** Positions with a key of 0 or more, ordered by key, stable (a counting sort: keys are bucket numbers). */
    static int[] sortedBy(int[] key, int keySpace, int kept) {
        int[] start = new int[keySpace + 1];
        for (int k : key) {
            if (k >= 0) {
                start[k + 1]++;
            }
        }
        for (int b = 0; b < keySpace; b++) {
            start[b + 1] += start[b];
        }
        int[] order = new int[kept];
        for (int i = 0; i < key.length; i++) {
            if (key[i] >= 0) {
                order[start[key[i]]++] = i;
            }
        }
        return order;
    }
}
