package be.audiencematch.consent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A subscriber's record in {@code {p}sub:{bucket}} (subscriber id → record): the only Java code that writes or reads
 * one. Its Lua counterpart is {@code record_lib.lua}; SubscriberRecordFormatTest runs each against the other's
 * bytes (docs/architecture.md, "Redis key layout").
 * <pre>
 *   record = u32 subscriber number, then the tail (the service sends the tail; a script gives the number)
 *   tail   = u16 household bucket, u8 household id length, household id (ASCII, none without a household),
 *            u8 identifier count (its top three bits: index bucket bits beyond 16), then per identifier:
 *            type byte ('e'|'p'), u16 index bucket (its top 16 bits), the 8-byte index field (IndexEntryFormat)
 * </pre>
 * The writing methods take the bulk load's flat arrays and write into a buffer the caller keeps, so a load of
 * millions allocates nothing per subscriber.
 */
public final class SubscriberRecordFormat {

    public static final int NUMBER_BYTES = 4;
    public static final int IDENTIFIER_BYTES = 1 + 2 + IndexEntryFormat.FIELD_BYTES;
    public static final int MAX_HOUSEHOLD_BYTES = 128;
    public static final int MAX_IDENTIFIERS = SubscriberStore.MAX_IDENTIFIERS;
    /** The longest tail: household bucket and length, the longest household id, the count, every identifier. */
    public static final int MAX_TAIL_BYTES = 3 + MAX_HOUSEHOLD_BYTES + 1 + MAX_IDENTIFIERS * IDENTIFIER_BYTES;

    private SubscriberRecordFormat() {
    }

    /**
     * Writes a tail's head into {@code tail}: the household ({@code length} bytes of {@code household} from
     * {@code from}; 0 for none) and the identifier count; answers where the first identifier goes.
     */
    static int head(byte[] tail, int householdBucket, byte[] household, int from, int length, int identifiers,
                    int extraBucketBits) {
        tail[0] = (byte) (householdBucket >> 8);
        tail[1] = (byte) householdBucket;
        tail[2] = (byte) length;
        System.arraycopy(household, from, tail, 3, length);
        int at = 3 + length;
        // The count's top three bits say how many bucket bits the scripts take from the field (Buckets.name).
        tail[at] = (byte) (identifiers | extraBucketBits << 5);
        return at + 1;
    }

    /** Writes one identifier at {@code at}: its type's code, its index bucket's top 16 bits, the field; the next. */
    static int identifier(byte[] tail, int at, byte type, int storedBucket, byte[] fields, int fieldFrom) {
        tail[at] = type;
        tail[at + 1] = (byte) (storedBucket >> 8);
        tail[at + 2] = (byte) storedBucket;
        System.arraycopy(fields, fieldFrom, tail, at + 3, IndexEntryFormat.FIELD_BYTES);
        return at + IDENTIFIER_BYTES;
    }

    // ---- reading (the service itself never needs to; tests and tools do) ---------------------------------------

    /** One identifier of a record. {@code type}: the identifier type's code. */
    public record Identifier(char type, int storedBucket, byte[] field) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identifier other && type == other.type && storedBucket == other.storedBucket
                    && Arrays.equals(field, other.field);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * type + storedBucket) + Arrays.hashCode(field);
        }

        @Override
        public String toString() {
            return "Identifier[" + type + ", " + storedBucket + ", " + field.length + " bytes]";
        }
    }

    /** A whole record. {@code householdId}: null without a household. */
    public record Record(long number, int householdBucket, String householdId, int extraBucketBits,
                         List<Identifier> identifiers) {
    }

    /**
     * The names (after a shard's key prefix) of the index buckets and the household bucket a record links to, as
     * subscriber_lib.lua's index_name and trace_names make them: a sharded write routes each to its shard
     * (docs/scaling.md, "A write across shards"). SubscriberRecordFormatTest holds the two equal.
     */
    public static List<String> linkNames(byte[] record) {
        Record r = decode(record);
        List<String> names = new ArrayList<>(r.identifiers().size() + 1);
        for (Identifier id : r.identifiers()) {
            String name = "ix:" + id.type() + ":" + String.format("%04x", id.storedBucket());
            if (r.extraBucketBits() > 0) {
                name += Integer.toHexString((id.field()[0] & 0xff) >>> (8 - r.extraBucketBits()));
            }
            names.add(name);
        }
        if (r.householdId() != null) {
            names.add("hh:" + String.format("%04x", r.householdBucket()));
        }
        return names;
    }

    /** A record: its number (u32), then its tail. */
    static byte[] record(long number, byte[] tail) {
        byte[] record = new byte[NUMBER_BYTES + tail.length];
        record[0] = (byte) (number >>> 24);
        record[1] = (byte) (number >>> 16);
        record[2] = (byte) (number >>> 8);
        record[3] = (byte) number;
        System.arraycopy(tail, 0, record, NUMBER_BYTES, tail.length);
        return record;
    }

    public static Record decode(byte[] record) {
        long number = (record[0] & 0xffL) << 24 | (record[1] & 0xff) << 16 | (record[2] & 0xff) << 8
                | (record[3] & 0xff);
        int bucket = (record[4] & 0xff) << 8 | (record[5] & 0xff);
        int length = record[6] & 0xff;
        String household = length == 0 ? null : new String(record, 7, length, StandardCharsets.US_ASCII);
        int at = 7 + length;
        int count = record[at] & 0x1f;
        int extra = (record[at] & 0xff) >>> 5;
        at++;
        List<Identifier> identifiers = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            identifiers.add(new Identifier((char) record[at], (record[at + 1] & 0xff) << 8 | (record[at + 2] & 0xff),
                    Arrays.copyOfRange(record, at + 3, at + IDENTIFIER_BYTES)));
            at += IDENTIFIER_BYTES;
        }
        return new Record(number, bucket, household, extra, List.copyOf(identifiers));
    }
}
