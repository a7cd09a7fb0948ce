package be.audiencematch.consent;

import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.Buckets;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of one bulk chunk, held in flat arrays rather than objects (a chunk lives for a second or so, and a few
 * big arrays cost the garbage collector nothing, millions of small objects a lot), with what both passes need from
 * them: record tails, buckets, hashes and the orderings by bucket. {@link BulkChunk} writes the records from them,
 * {@link BulkLinks} the identifier and household entries. Used on one worker thread.
 */
class BulkLines {

    /** Lua's unpack() takes about 8,000 values; a run of one bucket is split well before. */
    static final int MAX_RUN = 1000;
    /** Per identifier: type ordinal, then digest bytes 0..9 (bucket bits, then the index field). */
    static final int IDENTIFIER_BYTES = 1 + IndexEntryFormat.FIELD_OFFSET + IndexEntryFormat.FIELD_BYTES;
    static final IdentifierType[] TYPES = IdentifierType.values();

    final Buckets buckets;
    final Buckets householdBuckets;
    private final int capacity;
    private int size;

    // Grown as lines come, up to the capacity, so a five-line load costs five lines of memory. Line i's bytes are
    // [offset[i], offset[i + 1]): no first-line special case for the JIT to trip over.
    byte[] ids;
    int[] idOffset;
    byte[] households;
    int[] householdOffset;
    byte[] identifiers;
    int[] identifierOffset;
    byte[] consents;
    /** FNV-1a of each id and household id, computed once: buckets, tags and grouping all start from it. */
    int[] idHash;
    int[] householdHash;

    BulkLines(Buckets buckets, Buckets householdBuckets, int capacity) {
        this.buckets = buckets;
        this.householdBuckets = householdBuckets;
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
    boolean sameLine(int i, BulkLines other, int j) {
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

    int idStart(int i) {
        return idOffset[i];
    }

    int idEnd(int i) {
        return idOffset[i + 1];
    }

    int householdStart(int i) {
        return householdOffset[i];
    }

    int householdEnd(int i) {
        return householdOffset[i + 1];
    }

    int identifierStart(int i) {
        return identifierOffset[i];
    }

    int identifierEnd(int i) {
        return identifierOffset[i + 1];
    }

    /** Writes line p's record tail (SubscriberRecordFormat) into {@code tail}; its length. */
    int tailInto(int p, byte[] tail) {
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

    int digestBucket(int at) {
        return buckets.ofDigest(identifiers[at + 1], identifiers[at + 2], identifiers[at + 3]);
    }

    /** The household tag (SubscriberStore.householdTag), 0 without a household. */
    int householdTag(int p) {
        int from = householdStart(p);
        if (householdEnd(p) == from) {
            return 0;
        }
        return SubscriberStore.householdTag(householdHash[p]);
    }

    /** Marks every line whose subscriber id comes again later in the chunk. */
    boolean[] superseded() {
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

    /** An identifier's index family: its type, then its index bucket. */
    int family(int at, int bits) {
        return (identifiers[at] << bits) | digestBucket(at);
    }

    /**
     * The lines taken (all when {@code take} is null) as keys {@code hash << 32 | line}, placed by the bucket of their
     * hash (a counting sort) and sorted within each bucket, so that equal hashes come side by side: a bucket holds a
     * few dozen lines, and sorting those is a fraction of sorting the whole chunk.
     */
    long[] byBucketThenHash(Buckets by, int[] hashes, boolean[] take) {
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
    void byId(long[] keyed, int from, int to) {
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

    boolean sameHousehold(int i, int j) {
        return Arrays.equals(households, householdStart(i), householdEnd(i), households, householdStart(j), householdEnd(j));
    }

    /** The end of the run of equal keys that starts at {@code start}, at most {@value #MAX_RUN} long. */
    static int runEnd(int[] positions, int start, int[] key) {
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
